package query

// maxEachConds is how many IDs of one list filter (Tags, Notes, Groups)
// become conditions of their own, which the planner can read through an
// index. The rest are folded into one condition that counts matches, so
// that a filter of thousands of IDs stays one bounded expression: SQLite
// refuses expression trees deeper than 1,000, which a few hundred AND'ed
// EXISTS reach.
const maxEachConds = 8

// split returns the IDs that get conditions of their own and the rest.
func split(ids []int64) (each, rest []int64) {
	if len(ids) <= maxEachConds {
		return ids, nil
	}
	return ids[:maxEachConds], ids[maxEachConds:]
}

// allLinked is the condition that the resource is linked to every one of
// ids (distinct) through the join table table (resource_id, col).
func allLinked(table, col string, ids []int64) *cond {
	on := func(x string) fragment {
		return fragment{"(SELECT COUNT(*) FROM " + table + " WHERE resource_id = " + x + " AND " + col + " IN (?)) = ?",
			[]any{idsArg(ids), len(ids)}}
	}
	return &cond{where: on("r.id"), onID: on}
}

// allGroups is the condition that every one of ids (distinct) is related
// to the resource or owns it. A group that does both counts once.
func allGroups(ids []int64) *cond {
	return &cond{where: fragment{
		"(SELECT COUNT(*) FROM groups_related_resources WHERE resource_id = r.id AND group_id IN (?) AND group_id IS DISTINCT FROM r.owner_id)" +
			" + (CASE WHEN r.owner_id IN (?) THEN 1 ELSE 0 END) = ?",
		[]any{idsArg(ids), idsArg(ids), len(ids)}}}
}
