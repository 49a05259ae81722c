"""The add-on blocks every formulation ends with; each is off unless the scenario asks for it.

    (8)  N-1 spare capacity and failure cuts (``rules.resilience``)   formulations.resilience
    (9)  soft rules: slack at a price (``rules.soft``)                 formulations.soft_rules
    (10) training clusters split over nearby sites (``split``)        formulations.training_split

Without them the model is exactly the formulation's own.
"""

from __future__ import annotations

from placement.formulations import resilience, soft_rules, training_split
from placement.formulations.components import Columns
from placement.milp.linear_model import LinearModel
from placement.model.data import ModelData


def add_addons(model: LinearModel, data: ModelData, cols: Columns) -> None:
    training_split.add_training_split(model, data, cols)
    resilience.add_spare_capacity(model, data, cols)
    soft_rules.add_soft_rules(model, data, cols)
