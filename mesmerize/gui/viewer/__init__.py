"""The Viewer window: a pyqtgraph view of a ViewerWorkEnv with dockable modules.

``ViewerWindow`` (window.py) is the window; ``ViewerUtils`` (viewer_utils.py) is ``vi`` in the
console, the object scripts drive; modules live in ``modules/``.
"""
