"""Projects: directory layout, configuration, the project DataFrame, samples, filters."""
