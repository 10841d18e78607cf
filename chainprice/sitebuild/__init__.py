"""Building the static site: the page's own files, its pinned vendor assets and its config."""

from chainprice.sitebuild.assets import SITE_SOURCE, build_site, ensure_node_modules
from chainprice.sitebuild.config import page_lake_url

__all__ = ["SITE_SOURCE", "build_site", "ensure_node_modules", "page_lake_url"]
