"""The core's wordings that Python reads besides a Decision's message: the volume plugins'
reasons, preemption's criteria, the PreFilter rejections (src/_core/_core.pyx)."""

from kubesched._core import PREEMPTION_CRITERIA, PREFILTER_REJECTIONS, VOLUME_REASONS

__all__ = ["PREEMPTION_CRITERIA", "PREFILTER_REJECTIONS", "VOLUME_REASONS"]
