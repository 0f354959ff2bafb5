"""Answers for reads made once: response bodies cached by data version, viewer class and query.

A cached answer is keyed by the version of its resource family (`service.core.versions`), the
viewer's visibility class (`access.visibility_class`: partner, a member state's focal point or
client, secretariat), the path and the normalised query (and, where a view has several, the
representation chosen from Accept; for a document for people, such as the printable directory,
the reader's language too). A write moves the version on, so the next read of every worker
misses and builds the answer anew; nothing is ever invalidated by hand.

A partner system's read that is cached is answered before the request's other work
(`answer_cached_read`, a before-request hook right after the request id and the language): the
same token check and scope as `@require`, the same key as `@cached`, and the after-request
headers of every answer. A miss, a session, or anything unusual goes the whole way.

Each worker keeps a segmented LRU bounded in bytes (`RESPONSE_CACHE_MB`, default 64; 0 turns
caching off): a new entry goes to a probation segment and is promoted only when read again, so
a flood of one-off keys (random parameters, huge pages) churns probation and never pushes the
hot pages out. With `REDIS_URL`, answers are also shared across workers through Redis.

List ETags are keyed hashes of (family version, visibility class, normalised query): an
If-None-Match that matches costs the version read and nothing else, whatever the list's size.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import hmac
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, cast

import orjson
from authlib.oauth2 import OAuth2Error
from flask import Flask, Response, current_app, g, request
from flask.typing import ResponseReturnValue

from service.core.access import current_principal, set_apidoc, visibility_class
from service.core.authentication import bearer_principal
from service.core.i18n import current_language
from service.core.versions import Family, version_of

log = logging.getLogger(__name__)

# What a cached answer keeps of its headers: never Set-Cookie, Vary or anything per request.
KEPT_HEADERS = ("Content-Type", "ETag", "X-Pagination", "Content-Disposition")
REDIS_PREFIX = "oasdir:response:"
REDIS_TTL_SECONDS = 24 * 3600
ENTRY_OVERHEAD = 256  # bytes counted per entry beyond its body and key (dicts, tuples, headers)
TUPLE_KEY_SIZE = 128  # bytes counted for a tuple key (an item's tag: ids, versions, times)


@dataclass(frozen=True)
class CachedResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def etag(self) -> str | None:
        for name, value in self.headers:
            if name == "ETag":
                return value.strip('"')
        return None

    def size(self) -> int:
        return len(self.body) + sum(len(n) + len(v) for n, v in self.headers) + ENTRY_OVERHEAD

    def to_bytes(self) -> bytes:
        head = json.dumps([self.status, self.headers]).encode()
        return head + b"\n" + self.body

    @classmethod
    def from_bytes(cls, data: bytes) -> CachedResponse:
        head, _, body = data.partition(b"\n")
        status, headers = json.loads(head)
        return cls(status, tuple((str(n), str(v)) for n, v in headers), body)

    def response(self) -> Response:
        return Response(self.body, status=self.status, headers=list(self.headers))


class ByteBoundedLRU:
    """A segmented LRU bounded by bytes: probation for new keys, protected for keys read again."""

    PROTECTED_SHARE = 0.8

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.max_entry = max_bytes // 8  # one huge answer never empties the cache
        self.probation: OrderedDict[Hashable, CachedResponse] = OrderedDict()
        self.protected: OrderedDict[Hashable, CachedResponse] = OrderedDict()
        self.bytes = {"probation": 0, "protected": 0}
        self.lock = threading.Lock()

    @property
    def size(self) -> int:
        return self.bytes["probation"] + self.bytes["protected"]

    def get(self, key: Hashable) -> CachedResponse | None:
        with self.lock:
            return self._get(key)

    def get_many(self, keys: Iterable[Hashable]) -> list[CachedResponse | None]:
        """`get` for several keys under one lock (a page's items)."""
        with self.lock:
            return [self._get(key) for key in keys]

    def _get(self, key: Hashable) -> CachedResponse | None:
        entry = self.protected.get(key)
        if entry is not None:
            self.protected.move_to_end(key)
            return entry
        entry = self.probation.pop(key, None)
        if entry is None:
            return None
        self.bytes["probation"] -= entry.size() + _key_size(key)
        self._add(self.protected, "protected", key, entry)
        # the protected segment keeps its share; what it drops gets a last chance
        while self.bytes["protected"] > self.max_bytes * self.PROTECTED_SHARE:
            old_key, old = self.protected.popitem(last=False)
            self.bytes["protected"] -= old.size() + _key_size(old_key)
            self._add(self.probation, "probation", old_key, old)
        self._evict()
        return entry

    def put(self, key: Hashable, entry: CachedResponse) -> None:
        if entry.size() + _key_size(key) > self.max_entry:
            return
        with self.lock:
            if key in self.protected or key in self.probation:
                return
            self._add(self.probation, "probation", key, entry)
            self._evict()

    def _add(self, segment: OrderedDict, name: str, key: Hashable, entry: CachedResponse) -> None:
        segment[key] = entry
        self.bytes[name] += entry.size() + _key_size(key)

    def _evict(self) -> None:
        while self.size > self.max_bytes:
            segment, name = (
                (self.probation, "probation") if self.probation else (self.protected, "protected")
            )
            key, entry = segment.popitem(last=False)
            self.bytes[name] -= entry.size() + _key_size(key)

    def clear(self) -> None:
        with self.lock:
            self.probation.clear()
            self.protected.clear()
            self.bytes = {"probation": 0, "protected": 0}


class ResponseCache:
    """The worker's LRU in front of Redis (when configured)."""

    def __init__(self, max_bytes: int, redis_url: str | None, key: bytes):
        self.local = ByteBoundedLRU(max_bytes) if max_bytes > 0 else None
        self.key = key
        self.redis = None
        if redis_url and self.local is not None:
            import redis

            self.redis = redis.Redis.from_url(
                redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
            )

    @property
    def enabled(self) -> bool:
        return self.local is not None

    def get(self, key: str) -> CachedResponse | None:
        if self.local is None:  # disabled: it holds nothing
            return None
        entry = self.local.get(key)
        if entry is None and self.redis is not None:
            try:
                data = self.redis.get(REDIS_PREFIX + key)
            except Exception as error:
                log.warning("response cache: Redis unavailable (%s)", error)
                return None
            if data is not None:
                entry = CachedResponse.from_bytes(cast(bytes, data))  # no decode_responses
                self.local.put(key, entry)
        return entry

    def put(self, key: str, entry: CachedResponse) -> None:
        if self.local is None:  # disabled: it keeps nothing
            return
        self.local.put(key, entry)
        if self.redis is not None and entry.size() <= self.local.max_entry:
            try:
                self.redis.set(REDIS_PREFIX + key, entry.to_bytes(), ex=REDIS_TTL_SECONDS)
            except Exception as error:
                log.warning("response cache: Redis unavailable (%s)", error)


class ItemCache:
    """The JSON of single list items, each kept under what its entity tag is made of (its id
    and row version, and those of the rows it shows): a page rebuilt after a write reuses every
    item that did not change, and makes (and keeps) only the others. Whatever changes what an
    item shows moves its tag (the rule its ETag's 304s already need), so a kept item is never
    stale; an item's JSON is the same for every viewer who may list it (lists filter who sees
    what). A worker's LRU bounded in bytes (`ITEM_CACHE_MB`; 0: none)."""

    def __init__(self, max_bytes: int):
        self.local = ByteBoundedLRU(max_bytes) if max_bytes > 0 else None

    def json_list(
        self,
        kind: str,
        page: list[tuple[Any, tuple]],
        load: Callable[[list[Any]], list[Any]],
        tag_of: Callable[[Any], tuple[Any, tuple]],
        dump: Callable[[Any], Any],
    ) -> Response:
        """The JSON array of a page, as jsonify gives it: `page` is the page's (id, tag) pairs
        in order; `load(ids)` reads the entities not kept, `tag_of(entity)` gives its (id, tag),
        `dump(entity)` its JSON-ready form."""
        found: dict[Any, bytes] = {}
        if self.local is not None:
            kept = self.local.get_many([(kind, *tag) for _, tag in page])
            for (identity, _), entry in zip(page, kept, strict=True):
                if entry is not None:
                    found[identity] = entry.body
        missing = [identity for identity, _ in page if identity not in found]
        if missing:
            for entity in load(missing):
                identity, tag = tag_of(entity)  # the entity's own tag: what it was made from
                body = current_app.json.dumps(dump(entity)).encode()
                found[identity] = body
                if self.local is not None:
                    self.local.put((kind, *tag), CachedResponse(200, (), body))
        # an entry gone between the page's statement and the load is left out
        items = [found[identity] for identity, _ in page if identity in found]
        body = b"[" + b",".join(items) + b"]\n"
        return current_app.response_class(body, mimetype="application/json")


def item_cache() -> ItemCache:
    return current_app.extensions["item_cache"]


def derived_key(secret_key: str | bytes, purpose: str) -> bytes:
    """A key for one purpose, derived from SECRET_KEY (never SECRET_KEY itself)."""
    secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac.new(secret, f"oasdir/{purpose}/v1".encode(), hashlib.sha256).digest()


def configure_response_cache(app: Flask) -> None:
    """The worker's cache, and the early answer for cached reads (register it right after the
    request id: before the rest of the request's work, which a cached answer does not need)."""
    megabytes = app.config["RESPONSE_CACHE_MB"]
    app.extensions["response_cache"] = ResponseCache(
        int(megabytes * 1024 * 1024),
        app.config.get("REDIS_URL"),
        derived_key(app.config["SECRET_KEY"], "response-cache"),
    )
    app.extensions["item_cache"] = ItemCache(int(app.config["ITEM_CACHE_MB"] * 1024 * 1024))
    app.before_request(answer_cached_read)


def response_cache() -> ResponseCache:
    return current_app.extensions["response_cache"]


def normalised_query() -> list[list[str]]:
    """The query string as a sorted list of pairs: the same question, however it is written."""
    return sorted([k, v] for k, v in request.args.items(multi=True))


def _key_size(key: Hashable) -> int:
    return len(key) if isinstance(key, str) else TUPLE_KEY_SIZE


def _canonical(parts: object) -> bytes:
    return orjson.dumps(parts, default=str, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def _signed(key: bytes, parts: object) -> str:
    return _mac(key, _canonical(parts))


def _mac(key: bytes, data: bytes) -> str:
    """A keyed hash (BLAKE2b's keyed mode, a MAC: RFC 7693), 40 hex digits."""
    return hashlib.blake2b(data, key=key[:64], digest_size=20).hexdigest()


@dataclass(frozen=True)
class CachePolicy:
    """What `@cached` was told about a view (read again by `answer_cached_read`)."""

    family: Family
    version_etag: bool
    representations: tuple[str, ...] = ()
    period: int | None = None


@dataclass(frozen=True)
class Lookup:
    """What the cache holds for this request: an answer (a hit or a 304), or where to keep one."""

    answer: Response | None
    key: str | None = None
    list_etag: str | None = None


NO_ANSWER = Lookup(None)


def look_up(policy: CachePolicy) -> Lookup:
    """This GET's cache key, list ETag and cached answer, for the current principal."""
    cache = response_cache()
    parts: dict[str, Any] = {
        "family": policy.family.value,
        "version": version_of(policy.family),
        "viewer": visibility_class(current_principal()),
        "path": request.path,
        "query": normalised_query(),
    }
    if policy.representations:
        offered = list(policy.representations)
        chosen = (
            request.accept_mimetypes.best_match(offered) if request.accept_mimetypes else offered[0]
        )
        if chosen is None:  # nothing acceptable: the view answers 406, uncached
            return NO_ANSWER
        parts["representation"] = chosen
        if chosen != "application/json":  # a document for people: in the reader's language
            parts["language"] = current_language()
    if policy.period:
        parts["period"] = int(time.time() // policy.period)
    canonical = _canonical(parts)
    list_etag = _mac(etag_key(), canonical) if policy.version_etag else None
    # answered before the query is checked: only this exact tag, never "*" (which would let an
    # invalid query pass as unchanged)
    if list_etag is not None and request.if_none_match.is_strong(list_etag):
        return Lookup(not_modified(list_etag), None, list_etag)
    key = _mac(cache.key, canonical) if cache.enabled else None
    entry = cache.get(key) if key else None
    if entry is not None:
        if entry.etag and entry.etag in request.if_none_match:
            return Lookup(not_modified(entry.etag), key, list_etag)
        return Lookup(entry.response(), key, list_etag)
    return Lookup(None, key, list_etag)


def cached(
    family: Family,
    *,
    version_etag: bool,
    representations: list[str] | None = None,
    period: int | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """View decorator for GETs: answers from the cache when it can, fills it when it cannot.

    `version_etag`: the answer (a list, or figures over many rows) gets its ETag here, a keyed
    hash of version, viewer class and query; If-None-Match is answered before anything else is
    read. Otherwise the view sets its own ETag (one resource: keyed hash of id and version).
    `representations`: the media types the view chooses from with Accept (part of the key).
    `period`: seconds after which the answer may change without a write (time-dependent
    figures such as "re-confirmed in the last 12 months"): part of the key.
    Place it right under `@require` (authentication and scope come first) and above the rest:
    `answer_cached_read` answers a partner's hits before the view with the same two checks.
    """
    policy = CachePolicy(family, version_etag, tuple(representations or ()), period)

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if request.method != "GET":
                return view(*args, **kwargs)
            lookup = look_up(policy)
            if lookup.answer is not None:
                return lookup.answer
            response = current_app.make_response(view(*args, **kwargs))
            if lookup.list_etag is not None and response.status_code == 200:
                response.set_etag(lookup.list_etag)
            if lookup.key and _cacheable(response):
                response_cache().put(
                    lookup.key,
                    CachedResponse(
                        response.status_code,
                        tuple((n, v) for n, v in response.headers.items() if n in KEPT_HEADERS),
                        response.get_data(),
                    ),
                )
            return response

        wrapper.cache_policy = policy  # type: ignore[attr-defined]
        if version_etag:  # documented like flask-smorest's @etag: ETag, If-None-Match, 304
            set_apidoc(wrapper, {**copy.deepcopy(getattr(view, "_apidoc", {})), "etag": True})
        return wrapper

    return decorator


def answer_cached_read() -> Response | None:
    """Before the request's other work: a partner system's GET whose answer is cached (or
    unchanged: 304) is answered here, with the checks `@require` makes (a good bearer token
    with the view's scope) and the key `@cached` uses. Anything else goes the whole way:
    sessions (people), a token that is not good or lacks the scope (401/403 from there), a
    request with a body or an If-Match, a miss."""
    if request.method != "GET" or request.endpoint is None:
        return None
    if request.content_length or "Transfer-Encoding" in request.headers:
        return None
    if "If-Match" in request.headers or not request.headers.get("Authorization"):
        return None
    view = current_app.view_functions.get(request.endpoint)
    view = getattr(getattr(view, "view_class", None), "get", view)  # a MethodView's GET
    policy: CachePolicy | None = getattr(view, "cache_policy", None)
    scope = getattr(view, "required_scope", None)
    if policy is None or scope is None or not response_cache().enabled:
        return None
    try:
        principal = bearer_principal()
    except OAuth2Error:
        return None  # answered 401 the whole way, with its explanation
    if not principal.has(scope):
        return None
    g.principal, g.actor = principal, principal.actor
    return look_up(policy).answer


def _cacheable(response: Response) -> bool:
    return response.status_code == 200 and not response.is_streamed


def not_modified(etag: str) -> Response:
    response = Response(status=304)
    response.set_etag(etag)
    return response


def etag_key() -> bytes:
    config = current_app.config
    key = config.get("_ETAG_KEY")
    if key is None:
        key = config["_ETAG_KEY"] = derived_key(config["SECRET_KEY"], "etag")
    return key


def keyed_etag(data: object) -> str:
    """A resource's ETag: a keyed hash, so nobody learns a version from it (or forges one)."""
    return _signed(etag_key(), data)
