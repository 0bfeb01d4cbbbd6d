"""The states a report's case goes through and the outcomes it may reach:
their codes and short titles (defined here, once, and imported by
tracker.cases, which builds on intake), and what each means to the
reporter, in plain words, with what happens next (issue 9, item 6).

They live on intake's side because the reporter's follow-up page and the
partner's list show them, and intake does not import cases (STYLE §12).
"""
from flask_babel import lazy_gettext as _l

STATES = {
    "new": _l("New"),
    "triaged": _l("Triaged"),
    "investigating": _l("Under investigation"),
    "escalated": _l("Escalated"),
    "awaiting_info": _l("Waiting for information from you"),
    "referred": _l("Referred to another institution"),
    "resolved": _l("Resolved"),
    "closed": _l("Closed"),
    "rejected": _l("Not taken forward"),
    "merged": _l("Joined with another report of the same incident"),
}
OUTCOMES = {
    "substantiated": _l("Substantiated"),
    "partly_substantiated": _l("Partly substantiated"),
    "not_substantiated": _l("Not substantiated"),
    "unable_to_determine": _l("Unable to determine"),
}

STATUS_EXPLANATIONS = {
    "new": _l("Your report has arrived. An officer of the oversight body will read it soon. "
              "Next: they sort it by how serious it is."),
    "triaged": _l("An officer has read your report and sorted it by how serious it is. "
                  "Next: someone is given the task of looking into it."),
    "investigating": _l("An officer is looking into what happened, for example by checking with other sources. "
                        "They may write to you here with questions."),
    "escalated": _l("Your report was passed to senior staff because it is serious or urgent. "
                    "Next: they decide what action to take."),
    "awaiting_info": _l("The officer needs more information from you. Please read their message below "
                        "and answer if it is safe for you."),
    "referred": _l("Your report was sent to another institution that can act on it. "
                   "You can still follow it here and add information."),
    "resolved": _l("The oversight body has finished looking into your report and reached a conclusion, "
                   "shown below. You can still add information."),
    "closed": _l("Work on this report is finished. You can still read the messages here."),
    "rejected": _l("The oversight body cannot take this report forward, for example because it is outside "
                   "what they can act on. The officer may explain why in a message."),
    "merged": _l("Someone else reported the same incident. Your report was joined with theirs, "
                 "so that both are looked at together. Nothing is lost."),
}

OUTCOME_EXPLANATIONS = {
    "substantiated": _l("What you reported was found to be true."),
    "partly_substantiated": _l("Part of what you reported was found to be true."),
    "not_substantiated": _l("The oversight body did not find enough to show that it happened as reported. "
                            "This does not mean that you were not believed."),
    "unable_to_determine": _l("The oversight body could not find out what happened, "
                              "for example because there was not enough information."),
}

#: States in which the outcome of a resolved case is shown.
STATES_WITH_OUTCOME = ("resolved", "closed")
