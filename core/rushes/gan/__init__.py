"""GAN operators: gan.upscale (Real-ESRGAN), later gan.interpolate."""
