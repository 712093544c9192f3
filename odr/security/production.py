"""What production mode (ODR_ENV=production) refuses: settings that are safe only on a laptop."""

from __future__ import annotations

from odr.settings import DEV_SECRET, Settings

# 32 characters: e.g. `python -c "import secrets; print(secrets.token_urlsafe(32))"` gives 43.
MIN_SECRET_LENGTH = 32


class InsecureSettings(RuntimeError):
    """odr would run in production with a setting that is unsafe there."""


def check_production(settings: Settings) -> None:
    """Raise InsecureSettings when production runs with the development or a short secret."""
    if not settings.production:
        return
    if settings.secret_key == DEV_SECRET:
        raise InsecureSettings(
            "ODR_ENV=production refuses the development secret: set ODR_SECRET_KEY to a random "
            f"value of at least {MIN_SECRET_LENGTH} characters"
        )
    if len(settings.secret_key) < MIN_SECRET_LENGTH:
        raise InsecureSettings(
            f"ODR_ENV=production: ODR_SECRET_KEY is too short ({len(settings.secret_key)} "
            f"characters); use a random value of at least {MIN_SECRET_LENGTH}"
        )
    if settings.access_code_key is not None and len(settings.access_code_key) < MIN_SECRET_LENGTH:
        raise InsecureSettings(
            f"ODR_ENV=production: ODR_ACCESS_CODE_KEY is too short "
            f"({len(settings.access_code_key)} characters); use a random value of at least "
            f"{MIN_SECRET_LENGTH}"
        )
    if settings.capture_allow_loopback:
        raise InsecureSettings(
            "ODR_ENV=production refuses ODR_CAPTURE_ALLOW_LOOPBACK: web captures must never "
            "reach odr's own machine (the setting is for tests)"
        )
