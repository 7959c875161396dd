"""Community feedback inside CKAN: who may see and do what, and what it changes.

Visibility (access.py)
    An item is never more visible than its dataset: whoever may not see the
    dataset gets "not found" for the dataset and for every item on it, the
    same answer as for something that does not exist. Within a visible
    dataset, "approved" items are for everyone; "pending" and "hidden" ones
    only for the moderators and the item's author (who should see that their
    report waits, not that it vanished).

Moderators (access.py)
    The editors and admins of the dataset's organization, and sysadmins: the
    people who can fix what a report is about. Dataset collaborators are not
    moderators, so the moderation queue and the per-item rights agree.

What a change sets off (changes.py, notify.py)
    An item that counts for the quality score (an approved rating, an approved
    open or acknowledged report) changing in any way schedules the dataset's
    rescoring after the commit (when ``quality.auto`` is on). An item made
    public for the first time becomes a "new feedback" activity of the
    dataset; a new item is mailed to the organization's admins after the
    commit when the site asks for it (``feedback.mail_admins``). Neither the
    activity's nor the mail's failure fails the action: the feedback itself
    has been saved. Nothing here commits: the action does, unless its caller
    asked to (``defer_commit``).

Abuse (rate_limit.py, changes.flag)
    New items are counted per user (per keyed address hash for anonymous
    visitors) in Redis within the configured window. Flags are one per person;
    the configured number of them hides an item until a moderator decides,
    and a decision starts the count again.

Reading (reads.py)
    The lists the actions return, and the items as the API gives them.
"""
