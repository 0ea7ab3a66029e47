"""Sign in with Slack end to end, against the fake provider, over real HTTP."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest

from bot.core.settings import SettingsError
from bot.core.web_settings import secure_cookies
from tests.conftest import RunningBot, make_settings
from tests.support.fake_slack import FakeSlack
from tests.support.fake_slack_openid import CLIENT_ID, FakeSlackOpenID
from tests.support.web_helpers import Browser


async def test_sign_in_end_to_end_then_sign_out(
    web_bot: RunningBot, provider: FakeSlackOpenID, browser: Browser
) -> None:
    first = await browser.get("/")
    assert first.status == 401 and "Sign in with Slack" in first.text
    assert "Incidents</h1>" not in first.text

    login = await browser.get("/auth/login?next=/incidents/7")
    assert login.status == 303
    target = urlsplit(login.location)
    assert login.location.startswith(provider.openid_url + "authorize?")
    query = parse_qs(target.query)
    assert query["client_id"] == [CLIENT_ID] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == [web_bot.url + "/auth/callback"]
    assert "openid" in query["scope"][0].split()
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    state_cookie = browser.cookie("sisyphus_signin")
    assert state_cookie is not None and state_cookie["httponly"]
    assert state_cookie["samesite"] == "Lax"

    authorize = await browser.get(login.location)
    done = await browser.get(authorize.location)
    assert done.status == 303 and done.location == "/incidents/7", done
    session = browser.cookie("sisyphus_session")
    assert session is not None and session["httponly"] and session["samesite"] == "Lax"
    assert int(session["max-age"]) == 12 * 3600
    assert not session["secure"]  # plain http on 127.0.0.1 only
    assert [c["code"] for c in web_bot.fake.calls_to("openid.connect.token")]

    home = await browser.get("/")
    assert home.status == 200 and "Incidents</h1>" in home.text and "Sign out" in home.text

    out = await browser.post("/auth/logout")
    assert out.status == 303 and out.location == "/"
    assert browser.cookie("sisyphus_session") is None
    again = await browser.get("/")
    assert again.status == 401 and "Sign in with Slack" in again.text


async def test_a_wrong_team_is_refused(provider: FakeSlackOpenID, browser: Browser) -> None:
    provider.team_id = "T999OTHER"
    done = await browser.sign_in()
    assert done.status == 403 and "own Slack workspace" in done.text
    assert browser.cookie("sisyphus_session") is None
    assert (await browser.get("/")).status == 401


async def test_a_forged_id_token_is_refused(provider: FakeSlackOpenID, browser: Browser) -> None:
    provider.forged = True
    done = await browser.sign_in()
    assert done.status == 403 and "signature" in done.text
    assert browser.cookie("sisyphus_session") is None


async def test_an_expired_id_token_is_refused(provider: FakeSlackOpenID, browser: Browser) -> None:
    provider.expired = True
    done = await browser.sign_in()
    assert done.status == 403 and "expired" in done.text
    assert browser.cookie("sisyphus_session") is None


async def test_state_replay_is_refused(
    web_bot: RunningBot, provider: FakeSlackOpenID, browser: Browser
) -> None:
    callback = await browser.start_sign_in()
    state_cookie = browser.cookie("sisyphus_signin").value
    assert (await browser.get(callback)).status == 303
    # The same callback again, with the state cookie put back and a fresh code from Slack.
    state = parse_qs(urlsplit(callback).query)["state"][0]
    browser.http.cookie_jar.update_cookies({"sisyphus_signin": state_cookie})
    authorize = await browser.get(_authorize_again(provider))
    fresh_code = parse_qs(urlsplit(authorize.location).query)["code"][0]
    replay = await browser.get(f"/auth/callback?code={fresh_code}&state={state}")
    assert replay.status == 400 and "already used" in replay.text


def _authorize_again(provider: FakeSlackOpenID) -> str:
    """The last authorize request again: Slack gives a fresh code for the same state."""
    return provider.openid_url + "authorize?" + urlencode(provider.authorized[-1])


async def test_nonce_replay_is_refused(provider: FakeSlackOpenID, browser: Browser) -> None:
    """An id token issued for an earlier sign-in (its nonce) does not sign in another one."""
    callback = await browser.start_sign_in()
    old_nonce = provider.authorized[-1]["nonce"]
    assert (await browser.get(callback)).status == 303
    other = Browser(browser.bot)
    try:
        provider.nonce = old_nonce  # Slack (or someone) hands back the old token's nonce
        done = await other.sign_in()
        assert done.status == 403 and "nonce" in done.text
        assert other.cookie("sisyphus_session") is None
    finally:
        await other.close()


async def test_a_callback_without_the_state_cookie_is_refused(
    provider: FakeSlackOpenID, browser: Browser
) -> None:
    callback = await browser.start_sign_in()
    browser.http.cookie_jar.clear()
    done = await browser.get(callback)
    assert done.status == 400 and "sign in again" in done.text
    tampered = await browser.get("/auth/callback?code=x&state=y")
    assert tampered.status == 400


async def test_a_forged_session_cookie_is_not_a_session(browser: Browser) -> None:
    browser.http.cookie_jar.update_cookies({"sisyphus_session": "eyJ1IjoiVTExMSJ9.forged"})
    page = await browser.get("/")
    assert page.status == 401 and "Sign in with Slack" in page.text


async def test_a_deactivated_users_session_stops_working(
    web_bot: RunningBot, fake_slack: FakeSlack, browser: Browser
) -> None:
    from bot.web import session

    assert (await browser.sign_in()).status == 303
    assert (await browser.get("/")).status == 200
    fake_slack.users["U111"]["deleted"] = True
    session.forget_reader("U111")  # as USER_TTL_SECONDS running out would
    page = await browser.get("/")
    assert page.status == 401 and "Sign in with Slack" in page.text
    fresh = Browser(web_bot)
    try:
        done = await fresh.sign_in()
        assert done.status == 403 and "deactivated" in done.text
    finally:
        await fresh.close()


async def test_unsigned_visitors_see_only_the_sign_in_page(browser: Browser) -> None:
    for path in ("/", "/?q=database", "/incidents/1", "/incidents/1/postmortem"):
        page = await browser.get(path)
        assert page.status == 401, path
        assert "Sign in with Slack" in page.text and "#1" not in page.text
    async with browser.http.get(browser.bot.url + "/") as resp:
        csp = resp.headers["Content-Security-Policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp
    assert (await browser.get("/status")).status == 404  # the status page is its own (off here)


def test_settings_the_sign_in_needs(fake_slack: FakeSlack, tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    with pytest.raises(SettingsError) as caught:
        make_settings(url, fake_slack, slack_client_id=CLIENT_ID)
    problems = "\n".join(caught.value.problems)
    assert "WEB_SESSION_SECRET is required when SLACK_CLIENT_ID is set" in problems
    assert "SLACK_CLIENT_SECRET is required" in problems and "WEB_BASE_URL is required" in problems
    with pytest.raises(SettingsError) as short:
        make_settings(url, fake_slack, web_session_secret="too-short")
    assert short.value.problems == [
        "WEB_SESSION_SECRET must be at least 32 characters (make one up)"
    ]
    with pytest.raises(SettingsError) as plain:
        make_settings(
            url,
            fake_slack,
            slack_client_id=CLIENT_ID,
            slack_client_secret="s",
            web_session_secret="x" * 32,
            web_base_url="http://sisyphus.example.com",
        )
    assert "must be https" in plain.value.problems[0]


async def test_sign_in_goes_back_only_to_this_site(browser: Browser) -> None:
    for evil in ("//evil.example.com/", "https://evil.example.com/", "/\\evil.example.com"):
        browser.http.cookie_jar.clear()
        done = await browser.sign_in(next_path=quote(evil, safe=""))
        assert done.status == 303 and done.location == "/", evil


def test_cookies_are_secure_except_on_plain_http_here() -> None:
    assert secure_cookies("https://sisyphus.example.com")
    assert secure_cookies("https://localhost:8443")
    assert not secure_cookies("http://localhost:3000")
    assert not secure_cookies("http://127.0.0.1:3000")
