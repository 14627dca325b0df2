"""Helpers for the Gatehouse interop suite.

Everything here talks to a running Gatehouse over HTTP only. The helpers live in four modules
by topic; this module re-exports all of them, and tests import them from here:

* ``gatehouse_admin``: ``AdminAPI`` / ``Tenant``: the instance admin API (tenants, clients, users).
* ``gatehouse_browser``: ``Browser``: a cookie-keeping ``requests.Session`` that drives the
  server-rendered pages (login form, consent page, logout confirmation) the way a browser would:
  it parses each form with BeautifulSoup, sends back ALL named inputs and never follows a
  redirect to the relying party's redirect URI.
* ``gatehouse_rp``: ``RP`` / ``code_flow``: an Authlib ``OAuth2Session`` acting as the relying
  party; token checks: PyJWT (``PyJWKClient``) and joserfc verification, ``at_hash``.
* ``gatehouse_http``: constants (timeouts, default redirect URIs and password), PKCE, URL parts,
  response descriptions and status and problem checks.
"""

from __future__ import annotations

from gatehouse_admin import (  # noqa: F401 - re-exported
    AdminAPI,
    Client,
    Tenant,
    User,
)
from gatehouse_browser import (  # noqa: F401 - re-exported
    AuthResult,
    Browser,
    field_names,
    find_form,
    form_action,
    form_fields,
    forms_of,
    has_decision,
    is_login_form,
    is_post,
    submitters,
)
from gatehouse_http import (  # noqa: F401 - re-exported
    AT_HASH_ALG,
    DEFAULT_PASSWORD,
    DEFAULT_POST_LOGOUT_REDIRECT_URI,
    DEFAULT_REDIRECT_URI,
    HTTP_TIMEOUT,
    REDIRECT_STATUSES,
    assert_problem,
    at_hash,
    b64url,
    basic_auth_header,
    describe,
    expect,
    origin_of,
    pkce_pair,
    query_params,
    unique_email,
    unique_slug,
    url_base,
)
from gatehouse_rp import (  # noqa: F401 - re-exported
    RP,
    Flow,
    assert_html_security_headers,
    assert_invalid_token,
    assert_oauth_error,
    authorization_request,
    check_access_token,
    check_id_token,
    code_flow,
    make_rp,
    verify_joserfc,
    verify_pyjwt,
)
