"""Model manifests (one TOML per model), shipped inside the package as `rushes.manifests`."""
