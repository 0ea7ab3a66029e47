"""App Home: one view made of each domain's section (bot/home/view.py SECTIONS), published when
the tab is opened and kept current by a periodic republish."""

from __future__ import annotations

from bot.core.domain import Domain, Hook


def domain() -> Domain:
    """What the process needs of this domain (imported only when asked: `import
    bot.home.queries` must not pull in the whole domain)."""
    from bot.followthrough.listeners import HOME_PRESSED_HOOKS
    from bot.home import listeners
    from bot.home.refresh import install_home_refresh
    from bot.home.view import publish_home

    return Domain(
        "home",
        register=listeners.register,
        installers=(install_home_refresh,),
        # A Done pressed on App Home shows there at once.
        hooks=(Hook(HOME_PRESSED_HOOKS, publish_home),),
    )
