"""The strong formulation (default): linking kept per pair.

Facilities f (a site in one financing mode), cooling options s, training pairs p (facility,
cluster, option, cooling), serving pairs q (facility, region, hardware), split variables v
(IT MW of a hardware in one of several cooling options at a facility); see
:mod:`placement.formulations.components` for the notation.

min  Σ_f F_f open_f + Σ_s G_s install_s + Σ_p c_p train_p + Σ_q c_q serve_q + Σ_v c_v y_v
     + Σ_j u_j unserved_j
s.t. (1)  Σ_p∈k train_p = 1                                          ∀ clusters k
     (2)  Σ_q∈j serve_q + unserved_j = 1                             ∀ regions j
     (2b) Σ_s y_fhs = Σ_j MW_q serve_q                               ∀ (f, h) split
     (2c) Σ_{f at i, h} serve_fjh ≤ s̄                                 ∀ (site i, region j)
     (3)  train_p ≤ open_f;  serve_q ≤ s̄ · open_f                     ∀ pairs
     (4)  Σ U_p train_p + Σ U_q serve_q + Σ U_v y_v ≤ capacity_f · open_f   ∀ f
     (5)  x ≤ install_s(x) (pairs in an option with a fixed cost);  y_v ≤ M_v install_s;
          install_s ≤ open_f
     (6)  Σ R x ≤ racks_f · open_f;  Σ units x ≤ quota_fh (cloud)
     (7)  Σ open_f ≤ p;  train_p ≤ tsite_f ≤ open_f, Σ tsite_f ≤ t;  Σ tCO2 x ≤ cap;
          Σ capital x + Σ capital open + Σ capital install ≤ budget
     (8)–(10) the add-ons, when the scenario asks for them (placement.formulations.addons):
          N-1 spare capacity and failure cuts, soft rules, split training clusters
open, install, tsite, train binary; 0 ≤ serve ≤ s̄; y ≥ 0; 0 ≤ unserved ≤ 1 (soft demand).
Without menus (one build facility per site, the air/liquid pair of options, one GPU type,
one way to build each cluster) this is exactly the classic placement MILP.
"""

from __future__ import annotations

from placement.formulations import addons
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
    c.add_split_balance(model, data, cols)
    c.add_share_cap(model, data, cols)
    c.add_pair_linking(model, data, cols)
    c.add_power(model, data, cols)
    c.add_cooling_linking(model, data, cols, per_pair=True)
    c.add_space(model, data, cols)
    c.add_cloud_quota(model, data, cols)
    c.add_max_sites(model, data, cols)
    c.add_max_training_sites(model, data, cols, per_pair=True)
    c.add_carbon_cap(model, data, cols)
    c.add_capital_budget(model, data, cols)
    addons.add_addons(model, data, cols)
    return model, cols
