"""The two-stage TiNAS search: stage 1 (search-space optimiser), supernet training, stage 2
(evolutionary search), fine-tuning; scores, Guideline 1 dropping and Guideline 2 adaptive mutation."""
