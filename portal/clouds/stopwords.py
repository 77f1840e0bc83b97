"""Words that say nothing about a topic: English function words and forum small talk.

Whoosh's own STOP_WORDS list is only a few dozen words; a cloud needs a longer one, or
"thanks", "think" and "really" would top every person's cloud.
"""

from __future__ import annotations

STOP_WORDS = frozenset("""
a about above across actually after afterwards again against agree ago ahead all almost alone along already also
although always am among amongst an and another any anybody anyhow anyone anything anyway anyways anywhere are
aren't around as ask asked asking at away back be became because become becomes becoming been before beforehand
behind being below beside besides best better between beyond both bit but by came can cannot can't cant case
cause certain certainly change changed come comes coming could couldn't course currently day days dear definitely
did didn't different do does doesn't doing done don't dont down during each easy eg eight either else elsewhere
end enough especially etc even ever every everybody everyone everything everywhere exactly example except far
feel few fifth find first five for former formerly forth found four from further get gets getting give given
gives go goes going gone good got gotten great guess guys had hadn't happen happens has hasn't have haven't
having he he'd he'll hello help hence her here hereafter hereby herein here's hers herself he's hey hi him
himself his hope how however i i'd ie if i'll i'm in indeed instead into is isn't it it'd it'll its it's
itself i've just keep keeps kind know known knows last later least less let let's like liked likely little
look looking looks lot lots made make makes making many may maybe me mean means meanwhile might mine more
moreover most mostly much must my myself name namely near nearly need needed needs neither never nevertheless
new next nice nine no nobody non none nor not nothing now nowhere of off often oh ok okay old on once one ones
only onto or other others otherwise ought our ours ourselves out over overall own part people per perhaps
please point possible post posted posts pretty probably problem put quite rather re really regards right said
same saw say saying says second see seem seemed seeming seems seen self sent serious seriously seven several
shall she she'd she'll she's should shouldn't since six so some somebody somehow someone something sometime
sometimes somewhat somewhere soon sorry still stuff such sure take taken taking tell tells than thank thanks
thanx that that's thats the their theirs them themselves then thence there thereafter thereby therefore therein
there's thereupon these they they'd they'll they're they've thing things think thinking third this thorough
thoroughly those though thought three through throughout thru thus time times to together too took toward
towards tried tries truly try trying twice two under unless until unto up upon us use used useful uses using
usually various very via want wants was wasn't way ways we we'd well we'll went were we're weren't we've what
whatever what's when whence whenever where whereafter whereas whereby wherein where's whereupon wherever whether
which while whither who whoever whole whom who's whose why will willing wish with within without won't wonder
work worked works would wouldn't wrote yeah year years yes yet you you'd you'll your you're yours yourself
yourselves you've zero
ain aren couldn didn doesn don hadn hasn haven isn mustn needn shan shouldn wasn weren won wouldn
""".split())
