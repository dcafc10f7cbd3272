"""rushes plug-in, Nuke GUI only: the rushes menu and toolbar (one entry per worker operator)."""
import rushes_nuke.menus

rushes_nuke.menus.install()
