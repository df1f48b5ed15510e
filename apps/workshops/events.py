"""Channel-group names and events of workshops (sent on commit via apps.core.realtime)."""

from __future__ import annotations

from apps.core.realtime import broadcast


def workshop_group(workshop_id: int) -> str:
    return f"workshops.workshop.{workshop_id}"


def phase_changed(*, workshop_id: int, phase: str, completed_phases: list[str]) -> None:
    broadcast(
        workshop_group(workshop_id), "workshop.phase_changed", {"phase": phase, "completed_phases": completed_phases}
    )


def progress(*, workshop_id: int, kind: str) -> None:
    """Something that moves the status' progress figures happened (`kind`: findings, discovery, annotations, traces)."""
    broadcast(workshop_group(workshop_id), "workshop.progress", {"kind": kind})
