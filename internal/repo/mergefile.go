package repo

import "fmt"

// MergeFile is git merge-file: a line-based 3-way merge of the files base,
// ours and theirs (paths relative to dir, which need not be a repository),
// written into ours, with conflict markers labelled by name where the
// sides differ. It reports whether the merge left conflicts.
//
// git answers by its exit code: 0 clean, 1 to 127 the number of conflicts
// (capped), anything else a failure, whose words are in the error.
func MergeFile(dir, base, ours, theirs, name string) (conflicts bool, err error) {
	_, err = At(dir).Run("merge-file", "-L", name+" (ours)", "-L", name+" (base)", "-L", name+" (theirs)", "--", ours, base, theirs)
	if code := ExitCode(err); code > 0 && code < 128 {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("merging %s line by line: %w", name, err)
	}
	return false, nil
}
