"""``aether fsck`` and ``aether gc``."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta

import click

from aether_data.cli._app import cli, emit, json_option, pass_services
from aether_data.cli._progress import counter
from aether_data.service import Services
from aether_data.workspace import fsck, gc

__all__ = ["fsck_command", "gc_command", "parse_duration"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdw]?)")


def parse_duration(text: str) -> float:
    """Seconds in ``text`` such as ``90s``, ``30m``, ``24h``, ``7d`` or ``0``."""
    match = _DURATION.fullmatch(text.strip())
    if not match:
        raise click.BadParameter(f"{text!r} is not a duration like 90s, 30m, 24h or 7d")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


@cli.command("fsck")
@click.option("--reachable-only", is_flag=True, help="Skip objects that nothing names.")
@json_option
@pass_services
def fsck_command(services: Services, reachable_only: bool, as_json: bool) -> None:
    """Verify that every object the catalog names exists and hashes right.

    Exit status 0 when the store is clean, 1 when problems were found (each is named).
    """
    with counter("checking objects", as_json) as tick:
        report = fsck(
            services.store,
            services.catalog.iter_roots(),
            all_objects=not reachable_only,
            progress=tick,
        )
    data = {
        "ok": report.ok,
        "roots": report.roots,
        "reachable": report.reachable,
        "checked": report.checked,
        "problems": [
            {
                "object": p.object_id,
                "problem": p.problem,
                "detail": p.detail,
                "referenced_by": p.referenced_by,
            }
            for p in report.problems
        ],
    }
    lines = [p.describe() for p in report.problems]
    lines.append(
        f"{report.checked} objects checked, {report.reachable} reachable from "
        f"{report.roots} roots: {'clean' if report.ok else f'{len(report.problems)} problems'}"
    )
    emit(as_json, data, "\n".join(lines))
    sys.exit(0 if report.ok else 1)


@cli.command("gc")
@click.option("--dry-run", is_flag=True, help="Only report what would be deleted.")
@click.option(
    "--grace",
    default="24h",
    show_default=True,
    help="Keep unreachable objects younger than this (e.g. 90s, 30m, 24h, 7d).",
)
@json_option
@pass_services
def gc_command(services: Services, dry_run: bool, grace: str, as_json: bool) -> None:
    """Delete objects that nothing reaches and that are older than the grace period, and bus
    messages older than the retention (setting bus_retention_days, 0 keeps them all)."""
    report = gc(
        services.store, services.catalog.iter_roots, grace=parse_duration(grace), dry_run=dry_run
    )
    pruned = 0 if dry_run else _prune_bus(services)
    data = {
        "dry_run": report.dry_run,
        "examined": report.examined,
        "reachable": report.reachable,
        "kept_young": report.kept_young,
        "deleted": len(report.deleted),
        "freed_bytes": report.freed_bytes,
        "temporary_removed": report.temporary_removed,
        "bus_messages_pruned": pruned,
    }
    verb = "would delete" if dry_run else "deleted"
    emit(
        as_json,
        data,
        f"{report.examined} objects examined, {report.reachable} reachable, "
        f"{report.kept_young} unreachable but within the grace period; "
        f"{verb} {len(report.deleted)} ({report.freed_bytes} bytes); "
        f"pruned {pruned} bus messages",
    )


def _prune_bus(services: Services) -> int:
    days = services.settings.bus_retention_days
    if days <= 0:
        return 0
    return services.bus.prune(before=datetime.now(UTC) - timedelta(days=days))
