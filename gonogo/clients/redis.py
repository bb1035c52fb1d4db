"""Redis through redis-py, with the password from the environment variable the checklist names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from gonogo.checklist import Target
from gonogo.errors import TargetError

if TYPE_CHECKING:
    import redis

TIMEOUT_S = 3.0


class RedisClient:
    def __init__(self, url: str, password: str | None, password_env: str | None) -> None:
        parts = urlsplit(url)
        self.where = f"Redis at {parts.hostname}:{parts.port or 6379}"
        self._password_env = password_env
        import redis  # ~70 ms of imports: only for a check that asks Redis

        self._redis = redis.Redis.from_url(
            url,
            password=password,
            socket_timeout=TIMEOUT_S,
            socket_connect_timeout=TIMEOUT_S,
            decode_responses=True,
        )

    @classmethod
    def for_target(cls, target: Target, env: Mapping[str, str]) -> RedisClient:
        if not target.redis_url:
            raise TargetError("the checklist gives no URL for Redis (target.redis_url)")
        name = target.redis_password_env
        return cls(target.redis_url, env.get(name) if name else None, name)

    def close(self) -> None:
        self._redis.close()

    @property
    def raw(self) -> redis.Redis:
        """The redis-py client; call it through `ask` so failures become TargetErrors."""
        return self._redis

    def ask(self, what: str, *args: str) -> object:
        """Run one command; refusal and unreachability are TargetErrors naming Redis."""
        import redis

        try:
            return self._redis.execute_command(*args)  # type: ignore[no-untyped-call]
        except redis.AuthenticationError:
            source = f"${self._password_env}" if self._password_env else "no password"
            raise TargetError(f"{self.where} refused the password ({source}) to {what}") from None
        except redis.ResponseError as error:
            if "NOAUTH" in str(error):
                raise TargetError(
                    f"{self.where} wants a password to {what}; set target.redis_password_env"
                ) from None
            raise TargetError(f"{self.where} refused to {what}: {error}") from None
        except redis.RedisError as error:
            raise TargetError(
                f"{self.where} unreachable ({what}): {type(error).__name__}"
            ) from None

    def stats(self) -> dict[str, int]:
        """keyspace_hits and keyspace_misses of INFO stats."""
        info = self.ask("read its hit statistics", "INFO", "stats")
        found = info if isinstance(info, dict) else {}
        return {k: int(found.get(k, 0)) for k in ("keyspace_hits", "keyspace_misses")}
