"""The publish plug-ins, one file per stage: a folder for pyblish.api.register_plugin_path, and
modules rushes.publish.register() imports. Files here use absolute imports only, as pyblish
executes them as loose files when it discovers them by path."""
