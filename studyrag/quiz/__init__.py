"""Study mode: a question bank from the corpus, answer grading, progress and spaced repetition."""
