"""Project windows: Welcome Window, Project Configuration, Project Browser, DataFrame editor.

Each window is a view over a core ``mesmerize.core.project.Project``; the windows of one
Mesmerize instance share the project the Welcome Window opened.
"""
