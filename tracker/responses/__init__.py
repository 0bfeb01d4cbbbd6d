"""Commander responses ("you said, we did"): the model, the approval
workflow, who may do what (``can_<verb>(user, obj)``), translations, and
the pages that commanders and supervisors use. ``/trends`` links here and
``/transparency`` shows the approved ones; both import this package, never
the other way round."""
