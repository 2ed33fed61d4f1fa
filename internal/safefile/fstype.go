package safefile

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Pseudo filesystems whose "regular files" are the kernel's views of live
// state: /proc/self/environ, /proc/kcore, /sys knobs, debugfs and tracefs
// files. A core's NT_FILE or xattr path is untrusted, and a symlink (or a
// link such as /etc/mtab -> /proc/self/mounts) reaches them under any
// name, so they are recognized by the filesystem the open descriptor lives
// on (statfs(2) f_type, from linux/magic.h), not by the path. devtmpfs
// reports tmpfs's magic and holds only device nodes, which the
// regular-file check refuses.
var pseudoFS = map[int64]string{
	unix.PROC_SUPER_MAGIC:    "procfs",
	unix.SYSFS_MAGIC:         "sysfs",
	unix.DEBUGFS_MAGIC:       "debugfs",
	unix.TRACEFS_MAGIC:       "tracefs",
	unix.SECURITYFS_MAGIC:    "securityfs",
	unix.SELINUX_MAGIC:       "selinuxfs",
	unix.CGROUP_SUPER_MAGIC:  "cgroupfs",
	unix.CGROUP2_SUPER_MAGIC: "cgroup2fs",
	unix.BPF_FS_MAGIC:        "bpffs",
	unix.PSTOREFS_MAGIC:      "pstorefs",
	unix.EFIVARFS_MAGIC:      "efivarfs",
	unix.BINFMTFS_MAGIC:      "binfmt_misc",
	unix.DEVPTS_SUPER_MAGIC:  "devpts",
	unix.NSFS_MAGIC:          "nsfs",
	0x62656570:               "configfs", // CONFIGFS_MAGIC
	0x65735543:               "fusectl",  // FUSE_CTL_SUPER_MAGIC
	0x19800202:               "mqueue",   // MQUEUE_MAGIC
}

// checkFS refuses a descriptor on a pseudo filesystem.
func checkFS(name string, f *os.File) error {
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &st); err != nil {
		return fmt.Errorf("%s: statfs: %w", name, err)
	}
	return refuseFS(name, st.Type)
}

// checkPathFS refuses a path that resolves onto a pseudo filesystem,
// before anything is opened there.
func checkPathFS(name string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(name, &st); err != nil {
		return fmt.Errorf("%s: statfs: %w", name, err)
	}
	return refuseFS(name, st.Type)
}

func refuseFS(name string, typ int64) error {
	if fs, ok := pseudoFS[typ]; ok {
		return &RefusedError{Path: name, Reason: fmt.Sprintf("it is on %s (the kernel's live state, not a file the process mapped)", fs)}
	}
	return nil
}
