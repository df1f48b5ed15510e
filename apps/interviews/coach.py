"""The coach: asks the next question and scores a finished session.

Two implementations share one interface (`Coach`): `BuiltinCoach`, deterministic and
offline (the default), and `OpenAICoach` (INTERVIEWS_COACH=openai), which asks any
OpenAI-compatible chat-completions server with the user's own key. Both return plain
dicts that `validate_question` / `validate_feedback` check before anything is stored.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from typing import Any, Protocol

ROTATION = ("technical", "behavioral", "situational")


class CoachError(Exception):
    """A failure with a stable code, a user message and whether a retry can help."""

    MESSAGES = {
        "invalid_key": ("The model server refused your API key.", False),
        "rate_limited": ("The model server is rate limiting your key; try again shortly.", True),
        "timeout": ("The model server did not answer in time.", True),
        "bad_output": ("The model answered something that is not a valid result.", True),
        "unavailable": ("The model server is unavailable.", True),
        "no_key": ("Store an API key before using the outside model.", False),
    }

    def __init__(self, code: str, detail: str = "") -> None:
        self.code = code
        self.message, self.retryable = self.MESSAGES.get(code, ("The coach failed.", True))
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)


@dataclass
class Context:
    """What the coach sees: the posting, the resume and the conversation so far."""

    title: str
    experience_level: str
    tech_stack: list[str]
    language: str
    resume: str = ""
    # [{"message_type", "question_type", "content", "meta"}] in order
    messages: list[dict[str, Any]] = field(default_factory=list)
    session_id: int = 0


class Coach(Protocol):
    def next_question(self, ctx: Context) -> dict[str, Any]: ...

    def feedback(self, ctx: Context) -> dict[str, Any]: ...


# --- validation of what any coach returns -------------------------------------------------


def validate_question(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise CoachError("bad_output", "the question is not an object")
    content, qtype = data.get("content"), data.get("question_type")
    if not isinstance(content, str) or not 1 <= len(content.strip()) <= 5000:
        raise CoachError("bad_output", "the question has no content")
    if qtype not in ROTATION:
        raise CoachError("bad_output", "unknown question_type")
    points = data.get("key_points", [])
    if not isinstance(points, list) or not all(isinstance(p, str) for p in points):
        raise CoachError("bad_output", "key_points is not a list of strings")
    return {
        "content": content.strip(),
        "question_type": qtype,
        "key_points": [p[:100] for p in points[:10]],
        "follow_up": bool(data.get("follow_up", False)),
        "topic": str(data.get("topic", ""))[:100],
    }


SCORES = ("technical_score", "communication_score", "problem_solving_score", "relevance_score")
TEXTS = ("technical_feedback", "communication_feedback", "problem_solving_feedback", "relevance_feedback")


def validate_feedback(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise CoachError("bad_output", "the feedback is not an object")
    out: dict[str, Any] = {}
    for name in SCORES:
        value = data.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
            raise CoachError("bad_output", f"{name} is not an integer 0-100")
        out[name] = value
    for name in TEXTS:
        value = data.get(name, "")
        if not isinstance(value, str):
            raise CoachError("bad_output", f"{name} is not text")
        out[name] = value[:5000]
    for name in ("knowledge_gaps", "learning_recommendations"):
        value = data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise CoachError("bad_output", f"{name} is not a list of strings")
        out[name] = [v[:300] for v in value[:20]]
    notes = data.get("answer_notes", [])
    if not isinstance(notes, list):
        raise CoachError("bad_output", "answer_notes is not a list")
    out["answer_notes"] = notes[:100]
    out["overall_score"] = round(sum(out[s] for s in SCORES) / len(SCORES))
    return out


# --- the built-in coach ---------------------------------------------------------------------

# (stack item) -> [(question en, question uk, key points)]
TECHNICAL = {
    "python": [
        (
            "How does Python manage memory, and when can a reference cycle leak?",
            "Як Python керує пам'яттю і коли цикл посилань може спричинити витік?",
            ["reference counting", "garbage collector", "cycle"],
        ),
        (
            "Explain the GIL and how you would speed up a CPU-bound Python job.",
            "Поясніть GIL і як ви пришвидшите CPU-bound задачу на Python.",
            ["gil", "multiprocessing", "thread"],
        ),
        (
            "What do generators give you over lists, and when would you use one?",
            "Що дають генератори порівняно зі списками і коли ви їх використаєте?",
            ["lazy", "memory", "yield"],
        ),
    ],
    "django": [
        (
            "How do you find and fix an N+1 query problem in a Django view?",
            "Як знайти й виправити проблему N+1 запитів у Django view?",
            ["select_related", "prefetch_related", "query"],
        ),
        (
            "How do transactions work in Django, and when do you need select_for_update?",
            "Як працюють транзакції в Django і коли потрібен select_for_update?",
            ["atomic", "lock", "race"],
        ),
    ],
    "javascript": [
        (
            "Explain the event loop and the difference between microtasks and macrotasks.",
            "Поясніть event loop і різницю між мікро- та макрозадачами.",
            ["event loop", "promise", "callback"],
        ),
        (
            "What is a closure and where does it bite you?",
            "Що таке замикання і де воно може нашкодити?",
            ["scope", "function", "variable"],
        ),
    ],
    "react": [
        (
            "When does a React component re-render, and how do you avoid needless renders?",
            "Коли React-компонент перерендерюється і як уникнути зайвих рендерів?",
            ["state", "props", "memo"],
        ),
    ],
    "sql": [
        (
            "How do you decide which index a slow query needs?",
            "Як ви вирішуєте, який індекс потрібен повільному запиту?",
            ["explain", "index", "filter"],
        ),
        (
            "Explain transaction isolation levels and one anomaly each prevents.",
            "Поясніть рівні ізоляції транзакцій і аномалію, яку кожен запобігає.",
            ["isolation", "read committed", "serializable"],
        ),
    ],
    "go": [
        (
            "How do goroutines and channels coordinate work, and how do you avoid a leak?",
            "Як горутини й канали координують роботу і як уникнути витоку?",
            ["goroutine", "channel", "context"],
        ),
    ],
    "java": [
        (
            "How does the JVM garbage collector decide what to collect?",
            "Як збирач сміття JVM вирішує, що прибрати?",
            ["heap", "generation", "reference"],
        ),
    ],
}
GENERAL_TECHNICAL = [
    (
        "Walk me through how you would design a REST API for a to-do service.",
        "Розкажіть, як би ви спроєктували REST API для сервісу задач.",
        ["resource", "status code", "pagination"],
    ),
    (
        "How do you test code that talks to a database?",
        "Як ви тестуєте код, що працює з базою даних?",
        ["test", "transaction", "fixture"],
    ),
    (
        "What happens between typing a URL and seeing the page?",
        "Що відбувається між введенням URL і появою сторінки?",
        ["dns", "tcp", "http"],
    ),
]
SENIOR_TECHNICAL = [
    (
        "How would you scale a service whose database became the bottleneck?",
        "Як би ви масштабували сервіс, у якого вузьким місцем стала база даних?",
        ["cache", "replica", "index"],
    ),
]
BEHAVIORAL = [
    (
        "Tell me about a time you disagreed with a teammate. What did you do?",
        "Розкажіть про випадок, коли ви не погодилися з колегою. Що ви зробили?",
        ["situation", "action", "result"],
    ),
    (
        "Describe a project you are proud of and your part in it.",
        "Опишіть проєкт, яким ви пишаєтеся, і вашу роль у ньому.",
        ["goal", "role", "result"],
    ),
    (
        "Tell me about a mistake you made and what you learned.",
        "Розкажіть про помилку, яку ви зробили, і чого вона вас навчила.",
        ["mistake", "learned", "change"],
    ),
]
SITUATIONAL = [
    (
        "Production is down an hour before a release. What do you do first?",
        "Прод впав за годину до релізу. Що ви зробите першим?",
        ["rollback", "communicate", "logs"],
    ),
    (
        "A stakeholder asks for a feature that would break the deadline. How do you respond?",
        "Замовник просить функцію, яка зірве дедлайн. Як ви відповісте?",
        ["priority", "trade-off", "communicate"],
    ),
    (
        "You inherit a codebase with no tests and must change it. How do you proceed?",
        "Вам дістався код без тестів, і його треба змінити. Як ви дієте?",
        ["test", "refactor", "small steps"],
    ),
]
FOLLOW_UP = {
    "en": 'Let\'s go back to that: you did not cover {points}. How do they fit into your answer to "{question}"?',
    "uk": 'Повернімося до цього: ви не згадали {points}. Як це стосується вашої відповіді на "{question}"?',
}

WORD = re.compile(r"\w+", re.UNICODE)


def _pick(options: list, seed: str, asked: set[str]) -> tuple:
    """A deterministic choice from `options`, skipping questions already asked when possible."""
    fresh = [o for o in options if o[0] not in asked] or options
    return fresh[zlib.crc32(seed.encode("utf-8")) % len(fresh)]


def level_of(experience_level: str) -> str:
    text = experience_level.lower()
    if any(w in text for w in ("senior", "lead", "principal", "staff", "сеньйор", "старш")):
        return "senior"
    if any(w in text for w in ("junior", "intern", "trainee", "джун", "молодш")):
        return "junior"
    return "middle"


def missed_points(question: dict[str, Any], answer: str) -> list[str]:
    text = answer.lower()
    return [p for p in question.get("meta", {}).get("key_points", []) if p.lower() not in text]


class BuiltinCoach:
    """Deterministic: the same posting, resume and answers always give the same questions and scores."""

    def next_question(self, ctx: Context) -> dict[str, Any]:
        lang = "uk" if ctx.language == "uk" else "en"
        questions = [m for m in ctx.messages if m["message_type"] == "question"]
        asked = {q["meta"].get("source", "") for q in questions}
        # a follow-up when the last answer missed most of the last question's key points
        if (
            len(ctx.messages) >= 2
            and ctx.messages[-1]["message_type"] == "answer"
            and not questions[-1]["meta"].get("follow_up")
        ):
            last_q, answer = questions[-1], ctx.messages[-1]["content"]
            points = last_q["meta"].get("key_points", [])
            missed = missed_points(last_q, answer)
            if points and len(missed) * 2 > len(points):
                return {
                    "content": FOLLOW_UP[lang].format(points=", ".join(missed), question=last_q["content"]),
                    "question_type": last_q["question_type"],
                    "key_points": missed,
                    "follow_up": True,
                    "topic": last_q["meta"].get("topic", ""),
                }
        rotation_index = sum(1 for q in questions if not q["meta"].get("follow_up"))
        qtype = ROTATION[rotation_index % len(ROTATION)]
        seed = f"{ctx.session_id}:{rotation_index}:{ctx.title}"
        if qtype == "technical":
            stack = [s.lower() for s in ctx.tech_stack]
            resume = ctx.resume.lower()
            # the resume steers: stack items the candidate claims come first
            known = [s for s in stack if s in TECHNICAL]
            claimed = [s for s in known if s in resume]
            pool: list = []
            for item in claimed or known:
                pool.extend(TECHNICAL[item])
            if level_of(ctx.experience_level) == "senior":
                pool.extend(SENIOR_TECHNICAL)
            choice = _pick(pool or GENERAL_TECHNICAL, seed, asked)
            topic = next((s for s in claimed or known if choice in TECHNICAL[s]), "general")
        elif qtype == "behavioral":
            choice, topic = _pick(BEHAVIORAL, seed, asked), "behavioral"
        else:
            choice, topic = _pick(SITUATIONAL, seed, asked), "situational"
        en, uk, points = choice
        return {
            "content": uk if lang == "uk" else en,
            "question_type": qtype,
            "key_points": list(points),
            "follow_up": False,
            "topic": topic,
            "source": en,
        }

    def feedback(self, ctx: Context) -> dict[str, Any]:
        pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for i, message in enumerate(ctx.messages):
            if message["message_type"] == "answer" and i > 0 and ctx.messages[i - 1]["message_type"] == "question":
                pairs.append((ctx.messages[i - 1], message))
        stack = [s.lower() for s in ctx.tech_stack]
        notes: list[dict[str, Any]] = []
        gaps: list[str] = []
        coverage_by_type: dict[str, list[float]] = {t: [] for t in ROTATION}
        structure, relevance = [], []
        for question, answer in pairs:
            points = question["meta"].get("key_points", [])
            missed = missed_points(question, answer["content"])
            coverage = 1.0 if not points else (len(points) - len(missed)) / len(points)
            coverage_by_type[question["question_type"]].append(coverage)
            words = WORD.findall(answer["content"].lower())
            sentences = max(1, len(re.findall(r"[.!?]+", answer["content"])))
            # structure: enough words, more than one sentence, not one endless sentence
            shape = min(1.0, len(words) / 60) * (0.6 + 0.4 * min(1.0, (sentences - 1) / 2))
            structure.append(shape)
            mentions = sum(1 for s in stack if s in answer["content"].lower())
            relevance.append(min(1.0, 0.4 + 0.3 * mentions + 0.3 * coverage))
            gaps.extend(p for p in missed if p not in gaps)
            notes.append(
                {
                    "seq": answer.get("seq"),
                    "question_type": question["question_type"],
                    "covered": [p for p in points if p not in missed],
                    "missed": missed,
                    "score": round(100 * (0.7 * coverage + 0.3 * shape)),
                }
            )

        def pct(values: list[float]) -> int:
            return round(100 * sum(values) / len(values)) if values else 0

        all_cov = [c for cs in coverage_by_type.values() for c in cs]
        technical = pct(coverage_by_type["technical"] or all_cov)
        communication = pct(structure)
        solving = pct((coverage_by_type["situational"] + coverage_by_type["technical"]) or all_cov)
        relevant = pct(relevance)
        uk = ctx.language == "uk"

        def verdict(score: int, area: str) -> str:
            if uk:
                word = "сильно" if score >= 75 else "задовільно" if score >= 50 else "слабко"
                return f"{area}: {word} ({score}/100)."
            word = "strong" if score >= 75 else "adequate" if score >= 50 else "weak"
            return f"{area}: {word} ({score}/100)."

        recommendations = [
            (f"Повторіть тему: {g}." if uk else f"Review {g} and practise explaining it with an example.") for g in gaps
        ]
        if communication < 50:
            recommendations.append(
                "Структуруйте відповіді: ситуація, дія, результат."
                if uk
                else "Structure answers as situation, action, result, in a few full sentences."
            )
        return {
            "technical_score": technical,
            "communication_score": communication,
            "problem_solving_score": solving,
            "relevance_score": relevant,
            "technical_feedback": verdict(technical, "Технічні знання" if uk else "Technical knowledge"),
            "communication_feedback": verdict(communication, "Комунікація" if uk else "Communication"),
            "problem_solving_feedback": verdict(solving, "Розв'язання задач" if uk else "Problem solving"),
            "relevance_feedback": verdict(relevant, "Відповідність вакансії" if uk else "Relevance to the role"),
            "knowledge_gaps": gaps,
            "learning_recommendations": recommendations,
            "answer_notes": notes,
        }


def get_coach(api_key: str | None = None) -> Coach:
    from django.conf import settings

    if settings.INTERVIEWS_COACH == "openai":
        from apps.interviews.openai_coach import OpenAICoach

        if not api_key:
            raise CoachError("no_key")
        return OpenAICoach(api_key)
    return BuiltinCoach()
