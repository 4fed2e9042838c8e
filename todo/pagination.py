"""Page navigation headers for collections: RFC 8288 Link and X-Total-Count."""

from flask import request, url_for


def page_headers(page, per_page, total):
    """Return the Link (first, prev, next, last) and X-Total-Count headers of one page.

    The links are absolute and keep every other query argument of the request.
    """
    last = max(1, -(-total // per_page))

    def link(number, rel):
        args = {**request.args.to_dict(), "page": number}
        return f'<{url_for(request.endpoint, _external=True, **args)}>; rel="{rel}"'

    links = [link(1, "first")]
    if page > 1:
        links.append(link(min(page - 1, last), "prev"))
    if page < last:
        links.append(link(page + 1, "next"))
    links.append(link(last, "last"))
    return {"Link": ", ".join(links), "X-Total-Count": str(total)}
