"""The strong formulation (default): linking kept per pair.

min  Σ_i f_i open_i + Σ_i g_i liquid_i + Σ_ik c_ik train_ik + Σ_ij c_ij serve_ij
     + Σ_j u_j unserved_j
s.t. (1) Σ_i train_ik = 1                                    ∀k
     (2) Σ_i serve_ij + unserved_j = 1                       ∀j
     (3) train_ik ≤ open_i;  serve_ij ≤ s̄ · open_i             ∀ pairs
     (4) Σ_k F_ik train_ik + Σ_j F_ij serve_ij ≤ power_i · open_i   ∀i
     (5) x_p ≤ liquid_i (pairs needing liquid);  liquid_i ≤ open_i
     (6) Σ R_p x_p ≤ racks_i · open_i                        ∀i with a rack limit
     (7) Σ open_i ≤ p;  train_ik ≤ tsite_i ≤ open_i, Σ tsite_i ≤ t;  Σ tCO2_p x_p ≤ cap
open, liquid, tsite, train binary; 0 ≤ serve ≤ s̄; 0 ≤ unserved ≤ 1 (soft demand only).
"""

from __future__ import annotations

from placement.formulations import components as c
from placement.milp.linear_model import LinearModel
from placement.model.data import ModelData


def build(data: ModelData, *, single_source: bool = False) -> tuple[LinearModel, c.Columns]:
    model = LinearModel()
    cols = c.add_site_variables(model, data)
    c.add_training_variables(model, data, cols)
    c.add_serving_variables(model, data, cols, binary=single_source)
    c.add_unserved_variables(model, data, cols, binary=single_source)
    c.add_assign_training(model, data, cols)
    c.add_assign_demand(model, data, cols)
    c.add_pair_linking(model, data, cols)
    c.add_power(model, data, cols)
    c.add_liquid_cooling(model, data, cols, per_pair=True)
    c.add_space(model, data, cols)
    c.add_max_sites(model, data, cols)
    c.add_max_training_sites(model, data, cols, per_pair=True)
    c.add_carbon_cap(model, data, cols)
    return model, cols
