"""Operations: run, run-prod, supervisor, training, evaluation, retention, modelops."""
