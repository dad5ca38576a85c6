"""Where each provider's REST Transmissions API lives, and which profiles may use it.

The same mail can go over the REST API instead of SMTP (``api="rest"``, seeds/002):
``https://api.sparkpost.com/api/v1`` (US), ``https://api.eu.sparkpost.com/api/v1`` (EU), the
account's own ``https://<domain>.api.e.sparkpost.com/api/v1`` for Enterprise (``custom``, so an
API URL is required), and the local sandbox's HTTP endpoint for ``local``. Bird's REST API is
not in the documentation Composer follows (seeds/004 covers SMTP only), so it is refused.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from composer.core.errors import ProfileError
from composer.core.hosts import is_loopback
from composer.transport.profiles.providers import LOCAL_HOST, PRESETS, Provider

__all__ = ["APIS", "REST_URLS", "check_api_url", "check_rest", "rest_host", "rest_url"]

APIS = ("smtp", "rest")
# Where each provider's Transmissions API lives; None: the profile must say (custom), or the
# local sandbox endpoint is started for the send (local).
REST_URLS: dict[Provider, str | None] = {
    Provider.SPARKPOST: "https://api.sparkpost.com/api/v1",
    Provider.SPARKPOST_EU: "https://api.eu.sparkpost.com/api/v1",
    Provider.CUSTOM: None,
    Provider.LOCAL: None,
}


def check_api_url(url: str) -> str:
    """The API base URL, without a trailing slash. https only: the key travels in a header,
    so plain http is for this computer only (a local sandbox endpoint)."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise ProfileError("api_url", f"{url!r} is not an https:// URL")
    if parts.username is not None or parts.query or parts.fragment:
        raise ProfileError("api_url", "must not hold a user name, key, query or fragment")
    try:
        parts.port  # noqa: B018  (raises ValueError for a port out of range or not a number)
    except ValueError:
        raise ProfileError("api_url", f"{url!r} has an invalid port") from None
    if parts.scheme == "http" and not is_loopback(host):
        raise ProfileError(
            "api_url",
            f"http:// is allowed only for this computer, not {host}: the API key would cross "
            "the network in the clear (use https://)",
        )
    return url.strip().rstrip("/")


def check_rest(provider: Provider, api: str, api_url: str | None) -> None:
    """Raise ProfileError for an ``api`` / ``api_url`` the provider cannot use."""
    if api not in APIS:
        raise ProfileError("api", f"{api!r} is not one of {', '.join(APIS)}")
    if api_url is not None:
        check_api_url(api_url)
    if api != "rest":
        return
    if PRESETS[provider].workspace:
        raise ProfileError(
            "api",
            f"{PRESETS[provider].label} over REST is not supported: its REST API is not in the "
            "relay documentation Composer follows; send over SMTP (--api smtp)",
        )
    if provider is Provider.CUSTOM and api_url is None:
        raise ProfileError(
            "api_url",
            "SparkPost Enterprise over REST needs the account's API URL "
            "(--api-url https://yourdomain.api.e.sparkpost.com/api/v1)",
        )


def rest_url(provider: Provider, api_url: str | None) -> str | None:
    """The base URL a REST send uses; None means "start the local sandbox endpoint"."""
    return check_api_url(api_url) if api_url else REST_URLS.get(provider)


def rest_host(provider: Provider, api_url: str | None) -> str:
    """The API URL's host: a REST profile's host when it was given no SMTP host."""
    check_rest(provider, "rest", api_url)
    return urlsplit(rest_url(provider, api_url) or LOCAL_HOST).hostname or LOCAL_HOST
