"""The recenter-toolkit data contract: versioned attrs record classes, one module per record family.

No I/O and no statistics live here. See :mod:`schemas.migrations` for the versioning policy,
:mod:`schemas.json_schema` for the JSON Schema of each record type, :mod:`schemas.fastcheck` for the
generated fast checkers and :mod:`schemas.errors` for :class:`RecordError`.
"""

from schemas._common import SCHEMA_VERSION
from schemas.attributes import Attribute, ExtractionJudgment, ExtractionLabel, FailureMode, MergedAttribute
from schemas.conversations import KNOWN_SOURCES, Conversation, Origin, Role, Turn, User
from schemas.converter import structure, unstructure
from schemas.errors import RecordError
from schemas.pairings import Prompt, RelevanceJudgment
from schemas.raters import Rater, RaterKind
from schemas.ratings import Condition, Response, ResponseRating, Score
from schemas.registry import RECORD_TYPES, RecordType, record_type

__all__ = [
    "KNOWN_SOURCES",
    "RECORD_TYPES",
    "SCHEMA_VERSION",
    "Attribute",
    "Condition",
    "Conversation",
    "ExtractionJudgment",
    "ExtractionLabel",
    "FailureMode",
    "MergedAttribute",
    "Origin",
    "Prompt",
    "Rater",
    "RaterKind",
    "RecordError",
    "RecordType",
    "RelevanceJudgment",
    "Response",
    "ResponseRating",
    "Role",
    "Score",
    "Turn",
    "User",
    "record_type",
    "structure",
    "unstructure",
]
