"""Building what gets deployed: the cloud functions' source package."""
