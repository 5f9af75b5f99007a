"""Reading a /metrics page in tests: one sample's value by name and labels."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def sample(text: str, name: str, **labels: str) -> float:
    """The value of the sample `name` whose labels include `labels` (0 when absent: a counter
    that has not moved yet has no sample)."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return 0.0


def label_values(text: str) -> set[str]:
    """Every label value on the page (what must never hold an id, a text or an address)."""
    return {value for family in text_string_to_metric_families(text)
            for found in family.samples for value in found.labels.values()}
