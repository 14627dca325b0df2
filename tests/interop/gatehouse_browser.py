"""The interop suite's ``Browser`` (re-exported by ``gatehouse_client``): a cookie-keeping
``requests.Session`` that drives the server-rendered pages (login form, consent page, logout
confirmation) the way a browser would: it parses each form with BeautifulSoup, sends back ALL named
inputs and never follows a redirect to the relying party's redirect URI."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import requests
from bs4 import BeautifulSoup

from gatehouse_admin import User
from gatehouse_http import (
    HTTP_TIMEOUT,
    REDIRECT_STATUSES,
    describe,
    origin_of,
    query_params,
    url_base,
)


# --------------------------------------------------------------------------- forms


def forms_of(html: str) -> list:
    return BeautifulSoup(html, "html.parser").find_all("form")


def form_fields(form) -> list[tuple[str, str]]:
    """The successful controls of a form (HTML §4.10.21.4), submit buttons excluded."""
    fields: list[tuple[str, str]] = []
    for el in form.find_all(["input", "select", "textarea"]):
        name = el.get("name")
        if not name or el.has_attr("disabled"):
            continue
        if el.name == "input":
            kind = (el.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                continue
            if kind in ("checkbox", "radio"):
                if el.has_attr("checked"):
                    fields.append((name, el.get("value", "on")))
                continue
            fields.append((name, el.get("value", "")))
        elif el.name == "select":
            options = el.find_all("option")
            chosen = [o for o in options if o.has_attr("selected")] or options[:1]
            for o in chosen:
                fields.append((name, o.get("value", o.get_text())))
        else:
            fields.append((name, el.get_text()))
    return fields


def submitters(form) -> list[tuple[str, str]]:
    out = []
    for el in form.find_all(["button", "input"]):
        kind = (el.get("type") or ("submit" if el.name == "button" else "text")).lower()
        if kind in ("submit", "image") and el.get("name"):
            out.append((el["name"], el.get("value", "")))
    return out


def field_names(form) -> set[str]:
    return {name for name, _ in form_fields(form)}


def is_post(form) -> bool:
    return (form.get("method") or "get").lower() == "post"


def is_login_form(form) -> bool:
    return is_post(form) and {"email", "password"} <= field_names(form)


def has_decision(form, value: str) -> bool:
    return is_post(form) and ("decision", value) in submitters(form)


def find_form(html: str, predicate: Callable) -> Any:
    for form in forms_of(html):
        if predicate(form):
            return form
    return None


def form_action(resp: requests.Response, form) -> str:
    return urljoin(resp.url, form.get("action") or resp.url)


# --------------------------------------------------------------------------- browser


@dataclass
class AuthResult:
    """Outcome of driving an authorization request through the pages.

    kind: "redirect" (Location to the redirect URI), "form_post" (auto-submit form to
    the redirect URI), "page" (stopped on some other page: error, login form not
    filled, consent not answered).
    """

    kind: str
    params: dict[str, str]
    response: requests.Response
    location: str | None = None
    login_pages: int = 0
    consent_pages: int = 0
    steps: list[str] = field(default_factory=list)

    @property
    def code(self) -> str | None:
        return self.params.get("code")

    @property
    def error(self) -> str | None:
        return self.params.get("error")

    def trace(self) -> str:
        return " | ".join(self.steps) + "\nlast: " + describe(self.response)


class Browser:
    """A user agent with a cookie jar that fills the server's HTML forms."""

    def __init__(self):
        self.http = requests.Session()
        self.http.headers["User-Agent"] = "Mozilla/5.0 (gatehouse-interop)"
        self.http.headers["Accept"] = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"

    def get(self, url: str, **kw) -> requests.Response:
        kw.setdefault("timeout", HTTP_TIMEOUT)
        kw.setdefault("allow_redirects", False)
        return self.http.get(url, **kw)

    def submit(
        self,
        resp: requests.Response,
        form,
        overrides: dict[str, str] | None = None,
        submitter: tuple[str, str] | None = None,
        drop: Iterable[str] = (),
    ) -> requests.Response:
        """Submit ``form`` found in ``resp`` like a browser: all named inputs, the
        chosen submit button, Origin header, no automatic redirects."""
        overrides = dict(overrides or {})
        drop = set(drop)
        pairs = []
        for name, value in form_fields(form):
            if name in drop:
                continue
            if name in overrides:
                value = overrides.pop(name)
            pairs.append((name, value))
        pairs.extend(overrides.items())
        if submitter:
            pairs.append(submitter)
        action = form_action(resp, form)
        headers = {"Origin": origin_of(resp.url), "Referer": resp.url}
        if is_post(form):
            return self.http.post(
                action, data=pairs, headers=headers, allow_redirects=False, timeout=HTTP_TIMEOUT
            )
        return self.http.get(
            action, params=pairs, headers=headers, allow_redirects=False, timeout=HTTP_TIMEOUT
        )

    def follow(
        self, resp: requests.Response, stop: Callable[[str], bool] | None = None, max_steps: int = 10
    ) -> requests.Response:
        """Follow redirects (GET) until a non-redirect or a Location for which stop() holds."""
        for _ in range(max_steps):
            if resp.status_code not in REDIRECT_STATUSES or "Location" not in resp.headers:
                return resp
            loc = urljoin(resp.url, resp.headers["Location"])
            if stop and stop(loc):
                return resp
            resp = self.get(loc)
        raise AssertionError(f"too many redirects: {describe(resp)}")

    def authorize(
        self,
        url: str,
        redirect_uri: str,
        *,
        user: User | None = None,
        password: str | None = None,
        consent: str | None = "allow",
        max_logins: int = 1,
        max_steps: int = 20,
    ) -> AuthResult:
        """Open an authorization URL and drive login/consent pages until the server
        sends the browser back to ``redirect_uri`` (never followed)."""
        target = url_base(redirect_uri)
        result = AuthResult(kind="page", params={}, response=None)  # type: ignore[arg-type]
        resp = self.get(url)
        for _ in range(max_steps):
            result.response = resp
            result.steps.append(f"{resp.request.method} {url_base(resp.url)} -> {resp.status_code}")
            if resp.status_code in REDIRECT_STATUSES and "Location" in resp.headers:
                loc = urljoin(resp.url, resp.headers["Location"])
                if url_base(loc) == target:
                    result.kind, result.location = "redirect", loc
                    result.params = query_params(loc)
                    return result
                resp = self.get(loc)
                continue
            ctype = resp.headers.get("Content-Type", "")
            if "html" not in ctype:
                return result
            html = resp.text
            post_back = find_form(
                html, lambda f, page=resp: is_post(f) and url_base(form_action(page, f)) == target
            )
            if post_back is not None:
                result.kind = "form_post"
                result.params = dict(form_fields(post_back))
                return result
            login = find_form(html, is_login_form)
            if login is not None:
                if user is None or result.login_pages >= max_logins:
                    return result
                result.login_pages += 1
                resp = self.submit(
                    resp,
                    login,
                    {"email": user.email, "password": password or user.password},
                )
                continue
            decision = find_form(html, lambda f: has_decision(f, "allow"))
            if decision is not None:
                if consent is None:
                    return result
                result.consent_pages += 1
                resp = self.submit(resp, decision, submitter=("decision", consent))
                continue
            return result
        raise AssertionError("authorization did not finish: " + result.trace())

    def logout(
        self, end_session_endpoint: str, params: dict | None = None, method: str = "GET", confirm: bool = True
    ) -> requests.Response:
        """Call the end-session endpoint; submit the confirmation page when shown.
        Returns the first response that is neither an internal redirect nor the
        confirmation page (a redirect to the post-logout URI is not followed)."""
        if method == "GET":
            resp = self.get(end_session_endpoint, params=params or {})
        else:
            resp = self.http.post(
                end_session_endpoint,
                data=params or {},
                headers={"Origin": origin_of(end_session_endpoint)},
                allow_redirects=False,
                timeout=HTTP_TIMEOUT,
            )
        issuer_origin = origin_of(end_session_endpoint)
        for _ in range(10):
            if resp.status_code in REDIRECT_STATUSES and "Location" in resp.headers:
                loc = urljoin(resp.url, resp.headers["Location"])
                if origin_of(loc) != issuer_origin:
                    return resp
                resp = self.get(loc)
                continue
            if confirm and "html" in resp.headers.get("Content-Type", ""):
                form = find_form(resp.text, lambda f: has_decision(f, "logout"))
                if form is not None:
                    resp = self.submit(resp, form, submitter=("decision", "logout"))
                    confirm = False
                    continue
            return resp
        raise AssertionError(f"logout did not finish: {describe(resp)}")
