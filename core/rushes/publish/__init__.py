"""Publish and QC: pyblish-base plug-ins that collect, validate, extract and integrate plates."""
