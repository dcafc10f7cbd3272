"""rushes inside DaVinci Resolve: the actions behind Workspace > Scripts > rushes and the renderer that shows
any result through its annotations (standard library only; jobs run in the rushes worker through
the host kit's client, rushes_hostkit.client)."""

__all__ = ["actions", "menu", "render"]
