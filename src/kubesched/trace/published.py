"""The FGD paper's published results (Weng et al., USENIX ATC'23; docs: benchmarks.md §2):
mean GPU allocation % over seeds 42-51 when the arrived GPU requests reach 100% and 130% of
the cluster's capacity, and the default trace's fragmentation ratio % at 50/80/90%."""

from __future__ import annotations

POLICY_ORDER = ("Random", "DotProd", "GpuClustering", "GpuPacking", "BestFit", "FGD")
TRACES = ("default", "cpu050", "cpu250", "gpushare40", "gpushare100", "gpuspec33", "multigpu20", "multigpu50")

# trace -> policy -> (k = 100, k = 130)
ALLOCATION: dict[str, dict[str, tuple[float, float]]] = {
    "default": {"Random": (86.30, 87.47), "DotProd": (90.62, 90.85), "GpuClustering": (91.65, 91.88),
                "GpuPacking": (91.78, 92.00), "BestFit": (92.86, 93.08), "FGD": (95.23, 95.39)},
    "cpu050": {"Random": (89.02, 91.24), "DotProd": (93.03, 93.27), "GpuClustering": (93.52, 93.79),
               "GpuPacking": (93.46, 93.72), "BestFit": (93.56, 93.79), "FGD": (95.00, 95.21)},
    "cpu250": {"Random": (80.00, 80.41), "DotProd": (83.57, 83.81), "GpuClustering": (87.75, 87.99),
               "GpuPacking": (88.05, 88.28), "BestFit": (91.21, 91.45), "FGD": (93.20, 93.41)},
    "gpushare40": {"Random": (84.86, 86.00), "DotProd": (89.30, 89.56), "GpuClustering": (89.76, 90.02),
                   "GpuPacking": (89.77, 90.03), "BestFit": (91.44, 91.69), "FGD": (93.96, 94.15)},
    "gpushare100": {"Random": (78.90, 79.44), "DotProd": (81.98, 82.42), "GpuClustering": (82.22, 82.65),
                    "GpuPacking": (82.13, 82.57), "BestFit": (84.62, 85.01), "FGD": (86.64, 86.90)},
    "gpuspec33": {"Random": (83.87, 86.46), "DotProd": (79.82, 89.14), "GpuClustering": (81.09, 92.12),
                  "GpuPacking": (82.22, 93.22), "BestFit": (80.40, 93.09), "FGD": (87.84, 94.55)},
    "multigpu20": {"Random": (86.92, 88.69), "DotProd": (91.85, 92.06), "GpuClustering": (93.34, 93.56),
                   "GpuPacking": (93.50, 93.71), "BestFit": (93.73, 93.93), "FGD": (95.53, 95.65)},
    "multigpu50": {"Random": (81.28, 90.28), "DotProd": (94.73, 94.85), "GpuClustering": (95.69, 95.81),
                   "GpuPacking": (96.06, 96.18), "BestFit": (95.62, 95.74), "FGD": (97.09, 97.18)},
}

# default trace: policy -> fragmentation ratio % at k = 50, 80, 90
FRAGMENTATION_RATIO = {"Random": (30.2, 74.6, 96.7), "DotProd": (24.2, 50.5, 94.2), "BestFit": (21.6, 41.5, 74.1),
                       "FGD": (17.9, 29.9, 50.0)}
