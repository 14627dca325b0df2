"""Two concurrent submissions of one consent form yield one authorization code (issue 8 item 14):
the consent step consumes its interaction once, in the transaction that stores the grant."""

from __future__ import annotations

import threading

from gatehouse_client import Browser, authorization_request, find_form, has_decision, query_params, url_base


def test_two_parallel_consent_posts_yield_one_code(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential")  # third party: the consent page is shown
    first = Browser()
    _, url, _, _, _ = authorization_request(tenant, client)
    at_consent = first.authorize(url, client.redirect_uri, user=user, consent=None)
    page = at_consent.response
    form = find_form(page.text, lambda f: has_decision(f, "allow"))
    assert form is not None, at_consent.trace()
    second = Browser()
    second.http.cookies.update(first.http.cookies)

    results = [None, None]
    barrier = threading.Barrier(2)

    def post(i: int, browser: Browser) -> None:
        barrier.wait()
        results[i] = browser.submit(page, form, submitter=("decision", "allow"))

    threads = [threading.Thread(target=post, args=(i, b)) for i, b in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    codes = []
    for resp in results:
        assert resp is not None and resp.status_code < 500, resp.text if resp is not None else "no response"
        location = resp.headers.get("Location", "")
        if location and url_base(location) == client.redirect_uri and "code" in query_params(location):
            codes.append(query_params(location)["code"])
    assert len(codes) == 1, [(r.status_code, r.headers.get("Location")) for r in results]
