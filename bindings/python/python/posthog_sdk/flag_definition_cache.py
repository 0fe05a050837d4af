"""posthog-python's ``posthog.flag_definition_cache`` module under this package's name: the
cache provider protocol and its data, plus the shipped file-based provider."""

from .flags import FileFlagDefinitionCache, FlagDefinitionCacheData, FlagDefinitionCacheProvider

__all__ = ["FlagDefinitionCacheData", "FlagDefinitionCacheProvider", "FileFlagDefinitionCache"]
