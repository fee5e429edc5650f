"""``syndicate run``: the HTTP app and the scheduled steps in one process.

One asyncio loop runs uvicorn and an APScheduler ``AsyncIOScheduler``. The
steps themselves are blocking (database, files) and run in worker threads, so
HTTP keeps answering while a digest tick or a poll is busy.

Signals:

- SIGTERM / SIGINT: stop starting jobs, tell delivery to stop claiming (it
  finishes the messages in flight and hands back the rest), wait for running
  jobs up to ``grace`` seconds, stop the HTTP server, release the scheduler
  lock, exit 0. Rows still leased by a job that did not finish in time are
  taken back by any node once their lease ends, so nothing queued is lost.
- SIGHUP: load the config file again and prove it (checks, every template
  rendered); when it passes, the jobs and the HTTP app use it from their next
  run or request and every feed is republished at once (only files whose bytes
  change are written), else the old config and templates stay and the error is
  logged. The database URL and the listen address need a restart: until then
  links keep pointing at the address being served.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from syndicate import config
from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.errors import ConfigError, OperationalError
from syndicate.schedule.jobs import DELIVER_IDLE_SECONDS, DIGEST_TICK_SECONDS, Jobs
from syndicate.store.lock import lock_for

log = logging.getLogger("syndicate.run")

AppFactory = Callable[[Settings], Callable[..., Awaitable[None]]]
# Checks settings before use (raises ConfigError) and returns what puts them in
# force once the reload is accepted (the proven templates).
Prepare = Callable[[Settings], Callable[[], None]]
RESTART_KEYS = (
    ("[database] url", lambda s: s.database.url),
    ("[server] host", lambda s: s.server.host),
    ("[server] port", lambda s: s.server.port),
)


def _accept_all(settings: Settings) -> Callable[[], None]:
    return lambda: None


class SwappableApp:
    """An ASGI app whose target can be replaced while serving (config reload)."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    @property
    def feed_cache(self) -> Any:
        return getattr(self.app, "feed_cache", None)  # the current app's, for FeedProtocol

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


def _quiet_server(server_config: Any) -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        # The service handles signals itself: uvicorn must neither take them
        # nor raise them again after it stops.
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return Server(server_config)


class Service:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        clock: Clock,
        *,
        config_path: Path | None,
        make_app: AppFactory,
        server_options: dict[str, Any],
        grace: float = 25.0,
        tick_seconds: float = DIGEST_TICK_SECONDS,
        jobs: Jobs | None = None,
        prepare: Prepare = _accept_all,
    ) -> None:
        # ``loaded`` is the file as read; ``settings`` what is in force, its links
        # pinned to the address this process serves while public_url is empty.
        self.listen = (str(server_options["host"]), int(server_options["port"]))
        self.loaded = settings
        settings = config.serving_at(settings, *self.listen)
        self.settings = settings
        self.engine = engine
        self.clock = clock
        self.config_path = config_path
        self.make_app = make_app
        self.server_options = server_options
        self.grace = grace
        self.tick_seconds = tick_seconds
        self.prepare = prepare
        self.jobs = jobs or Jobs(engine, settings, clock, lock_for(engine))
        self.stopping: asyncio.Event | None = None
        self.scheduler: Any = None
        self.front = SwappableApp(make_app(settings))
        self._running: set[asyncio.Task[Any]] = set()
        self._background: set[asyncio.Future[Any]] = set()
        self._reloading = asyncio.Lock()  # one SIGHUP at a time, in the order received
        self._delivering = False

    # -- jobs -------------------------------------------------------------------------

    async def _in_thread(self, name: str, step: Callable[[], Any]) -> Any:
        if self.stopping is None or self.stopping.is_set():
            return None  # a run the scheduler fired just as shutdown began
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            return await asyncio.to_thread(step)
        except Exception as exc:  # one failed run must not stop the service
            log.error(
                "%s failed: %s: %s",
                name,
                exc.__class__.__name__,
                exc,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
            return None
        finally:
            if task is not None:
                self._running.discard(task)

    async def poll_job(self) -> None:
        if await self._in_thread("poll", self.jobs.poll):
            self.wake_delivery()  # alerts of imported breaking articles go out now

    async def republish_job(self) -> None:
        await self._in_thread("republish", self.jobs.republish)

    async def digest_job(self) -> None:
        enqueued = await self._in_thread("digest tick", self.jobs.digest)
        if enqueued:
            self.wake_delivery()

    async def deliver_job(self) -> None:
        self._delivering = True
        try:
            while True:
                self.jobs.wake.clear()  # this run claims whatever is due when it starts
                await self._in_thread("deliver", self.jobs.deliver)
                # Rows queued as that run was ending: deliver again now, in this same
                # job (the scheduler runs one at a time), not at the next interval.
                if not self.jobs.wake.is_set() or self.jobs.stop_claiming.is_set():
                    break
        finally:
            self._delivering = False

    def wake_delivery(self) -> None:
        """Start delivering now rather than at the next interval. A run already going,
        perhaps waiting for a retry, is told to claim at once instead. Called on the
        loop (digest tick, a web request that queued alerts)."""
        if self.jobs.stop_claiming.is_set():
            return
        if self._delivering:
            self.jobs.wake.set()
            return
        job = self.scheduler.get_job("deliver") if self.scheduler else None
        if job is not None:
            job.modify(next_run_time=datetime.now(UTC))

    def _start_scheduler(self, loop: asyncio.AbstractEventLoop) -> None:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        scheduler = AsyncIOScheduler(
            event_loop=loop,
            timezone=UTC,
            # One run of a job at a time; runs missed while busy or down are merged
            # into one, and a run later than its grace is dropped (the next comes soon).
            job_defaults={"max_instances": 1, "coalesce": True},
        )
        now = datetime.now(UTC)
        poll_seconds = self.settings.schedule.poll_seconds
        scheduler.add_job(
            self.poll_job,
            "interval",
            seconds=poll_seconds,
            id="poll",
            next_run_time=now,
            misfire_grace_time=poll_seconds,
        )
        scheduler.add_job(
            self.digest_job,
            "interval",
            seconds=self.tick_seconds,
            id="digest",
            next_run_time=now,
            misfire_grace_time=DIGEST_TICK_SECONDS,
        )
        scheduler.add_job(
            self.deliver_job,
            "interval",
            seconds=DELIVER_IDLE_SECONDS,
            id="deliver",
            next_run_time=now,
            misfire_grace_time=DIGEST_TICK_SECONDS,
        )
        scheduler.start()
        self.scheduler = scheduler

    # -- signals ----------------------------------------------------------------------

    def request_stop(self, signum: int) -> None:
        if self.stopping is None:
            return
        name = signal.Signals(signum).name
        if self.stopping.is_set():
            log.error(
                "%s received again: exiting now; leased rows return when their lease ends", name
            )
            _exit_now(1)
        log.info("%s received: shutting down", name)
        self.jobs.stop_claiming.set()
        self.stopping.set()

    def reload(self) -> bool:
        """Load the config file again; keep the old settings when it does not pass."""
        candidate = self._candidate()
        if candidate is None:
            return False
        self._apply(*candidate)
        return True

    async def reload_in_thread(self) -> None:
        """SIGHUP: the checks and template renders run off the loop, so HTTP keeps answering."""
        async with self._reloading:
            candidate = await asyncio.to_thread(self._candidate)
            if candidate is not None:
                self._apply(*candidate)

    def _candidate(self) -> tuple[Settings, Settings, Callable[[], None], Any] | None:
        try:
            loaded = config.load(self.config_path)
            # The database stays the one the engine is open on until a restart.
            fresh = config.serving_at(loaded, *self.listen).model_copy(
                update={"database": self.settings.database}
            )
            commit = self.prepare(fresh)
            app = self.make_app(fresh)
        except ConfigError as exc:
            log.error(
                "config reload failed, keeping the running config and templates: %s",
                "; ".join(exc.problems),
            )
            return None
        except Exception as exc:
            log.error(
                "config reload failed, keeping the running config and templates: %s: %s",
                exc.__class__.__name__,
                exc,
            )
            return None
        return loaded, fresh, commit, app

    def _apply(
        self, loaded: Settings, fresh: Settings, commit: Callable[[], None], app: Any
    ) -> None:
        old = self.settings
        for key, value in RESTART_KEYS:
            if value(loaded) != value(self.loaded):
                log.warning(
                    "config reload: %s changed to %r; it takes effect after a restart "
                    "(still serving http://%s:%s, links stay at %s)",
                    key,
                    value(loaded),
                    *self.listen,
                    fresh.public_url,
                )
        commit()
        self.loaded = loaded
        self.settings = fresh
        self.jobs.settings = fresh
        self.front.app = app
        if self.scheduler is not None and fresh.schedule.poll_seconds != old.schedule.poll_seconds:
            seconds = fresh.schedule.poll_seconds
            self.scheduler.reschedule_job("poll", trigger="interval", seconds=seconds)
        log.info("config reloaded from %s", fresh.source)
        if self.stopping is not None and not self.stopping.is_set():
            # Feeds show items, full text, titles and links from the config: build
            # them again now rather than when an article next changes.
            self._spawn(self.republish_job())

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _serving(self, server: Any) -> None:
        """Pin links to the address actually bound (port 0 picks one) and log it."""
        for bound in server.servers:
            for sock in bound.sockets:
                host, port = sock.getsockname()[:2]
                log.info("listening on http://%s:%s", host, port)
                self.listen = (self.listen[0], int(port))
        pinned = config.serving_at(self.settings, *self.listen)
        if pinned is not self.settings:
            self.settings = pinned
            self.jobs.settings = pinned
            self.front.app = self.make_app(pinned)
        log.info("links point at %s", self.settings.public_url)

    # -- the whole run ----------------------------------------------------------------

    async def run(self) -> int:
        import uvicorn

        loop = asyncio.get_running_loop()
        self.stopping = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.request_stop, signum)
        loop.add_signal_handler(signal.SIGHUP, lambda: self._spawn(self.reload_in_thread()))

        server = _quiet_server(uvicorn.Config(self.front, **self.server_options))
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                break
            await asyncio.sleep(0.05)
        if not server.started:
            await self._finish_serving(serving)
            raise OperationalError(
                f"could not listen on {self.server_options['host']}:{self.server_options['port']}",
                hint="pick a free [server] port, or stop what is using it",
            )
        self._serving(server)
        bounce_receiver = await self._start_bounce_receiver()
        self._start_scheduler(loop)
        stop_waiter = asyncio.create_task(self.stopping.wait())
        await asyncio.wait({serving, stop_waiter}, return_when=asyncio.FIRST_COMPLETED)
        stop_waiter.cancel()
        if bounce_receiver is not None:
            bounce_receiver.close()
        clean = await self._shutdown(server, serving)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(signum)
        return 0 if clean else 1

    async def _start_bounce_receiver(self) -> Any:
        """The SMTP receiver for bounce reports, when ``[bounces] listen`` asks for one."""
        if not self.settings.bounces.listen:
            return None
        from syndicate.bounces import receiver

        host, port = self.settings.bounces.listen_at
        try:
            started = await receiver.start(self.engine, self.settings, self.clock, host, port)
        except OSError as exc:
            raise OperationalError(
                f"[bounces] listen: cannot listen on {host}:{port}: {exc.strerror or exc}",
                hint="pick a free port for the bounce receiver, or leave listen empty",
            ) from None
        log.info("bounce receiver listening on smtp://%s:%d", host, receiver.bound_port(started))
        return started

    async def _finish_serving(self, serving: asyncio.Task[Any]) -> None:
        with contextlib.suppress(BaseException):
            await serving

    async def _shutdown(self, server: Any, serving: asyncio.Task[Any]) -> bool:
        assert self.stopping is not None
        self.stopping.set()
        self.jobs.stop_claiming.set()
        if self.scheduler is not None:
            # Pause, not shut down, while jobs finish: shutting the scheduler down
            # cancels the awaits of running jobs, whose threads would carry on unwatched.
            self.scheduler.pause()
        clean = True
        running = set(self._running)
        if running:
            log.info("waiting up to %.0f s for %d running job(s)", self.grace, len(running))
            _, pending = await asyncio.wait(running, timeout=self.grace)
            if pending:
                clean = False
                log.error(
                    "%d job(s) still running after %.0f s; their leased rows return to the "
                    "queue when the lease ends",
                    len(pending),
                    self.grace,
                )
        if self.scheduler is not None and clean:
            self.scheduler.shutdown(wait=False)
        server.should_exit = True
        await self._finish_serving(serving)
        await asyncio.to_thread(self.jobs.lock.release)
        log.info("stopped" if clean else "stopped with jobs unfinished")
        if not clean:
            # The unfinished job threads would hold the interpreter's exit forever.
            _exit_now(1)
        return clean


def _exit_now(code: int) -> None:
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
