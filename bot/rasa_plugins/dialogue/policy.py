"""SafetyPolicy: the Rasa side of bot.rasa_plugins.dialogue.safety_policy (see its docstring).

It has nothing to learn: `train` keeps no state, and each prediction is the safety plan's
next action with confidence 1.0 at a priority above RulePolicy's, or all zeros (abstain).
"""

from __future__ import annotations

from typing import Any

from rasa.core.constants import POLICY_PRIORITY, RULE_POLICY_PRIORITY
from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_plugins.dialogue import safety_policy


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class SafetyPolicy(Policy):
    """Deterministic safety dialogue; outranks the rules only where it has a plan."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {POLICY_PRIORITY: RULE_POLICY_PRIORITY + 1}

    def train(
        self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        state = safety_policy.state_from_events(_light(tracker.applied_events()))
        action = safety_policy.next_action(state) if state else None
        if action is not None and action in domain.action_names_or_texts:
            probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities)


def _light(events: list[Event]) -> list[dict[str, Any]]:
    """Only what the plan reads, without serialising every event of a long conversation."""
    out: list[dict[str, Any]] = []
    for event in events:
        if isinstance(event, UserUttered):
            out.append({"event": "user", "parse_data": event.parse_data})
        elif isinstance(event, ActionExecuted):
            out.append({"event": "action", "name": event.action_name})
        elif isinstance(event, SessionStarted):
            out.append({"event": "session_started"})
    return out
