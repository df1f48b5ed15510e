import gc
import weakref

from apps.core.runtime import GC_THRESHOLDS, settle_heap


class _Node:
    pass


def test_settle_heap_freezes_what_is_loaded_and_still_collects_new_garbage():
    thresholds = gc.get_threshold()
    try:
        settle_heap()
        assert gc.get_freeze_count() > 10_000  # the loaded modules, classes and functions
        assert gc.get_threshold() == GC_THRESHOLDS

        node = _Node()
        node.itself = node  # a reference cycle: only the collector frees it
        gone = weakref.ref(node)
        del node
        gc.collect()
        assert gone() is None
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
