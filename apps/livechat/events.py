"""Realtime group and event names of the live-chat desk (sent after commit through core's hub)."""

from __future__ import annotations

AGENTS_GROUP = "livechat.desk.agents"  # every agent's socket follows this one group
SUPERVISORS_GROUP = "livechat.desk.supervisors"  # supervisors' sockets also follow this one (kpis.updated)

MESSAGE_NEW = "message.new"
SESSION_WAITING = "session.waiting"
SESSION_CLAIMED = "session.claimed"
SESSION_CLOSED = "session.closed"
SESSION_TRANSFERRED = "session.transferred"
CONVERSATION_UPDATED = "conversation.updated"
AGENT_TYPING = "agent.typing"
PRESENCE_CHANGED = "presence.changed"
SLA_ALERT = "sla.alert"
KPIS_UPDATED = "kpis.updated"
