#include "runner/docker/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "runner/core/plan.h"
#include "common/safeopen.h"
#include "common/util.h"

static int pin_one(const char *src, const char *trusted_dir, struct stat *st)
{
	cleanup_close int fd = -1;

	if (trusted_dir && path_is_within(src, trusted_dir))
		fd = open(src, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	else
		fd = safe_open_abs(src, O_PATH, 0);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0 || !(S_ISDIR(st->st_mode) || S_ISREG(st->st_mode))) {
		errno = S_ISLNK(st->st_mode) ? ELOOP : EINVAL;
		return -1;
	}
	return 0;
}

int mounts_pin(cJSON *body, const char *trusted_dir, struct cs_err *err)
{
	cJSON *hc = cJSON_GetObjectItemCaseSensitive(body, "HostConfig");
	cJSON *mounts = cJSON_GetObjectItemCaseSensitive(hc, "Mounts");
	cJSON *env = cJSON_GetObjectItemCaseSensitive(body, "Env");
	cJSON *m;
	cleanup_buf struct buf b;
	int n = 0;

	if (!cJSON_IsArray(env))
		env = cJSON_AddArrayToObject(body, "Env");
	buf_init(&b, 1u << 16);
	if (buf_printf(&b, MOUNT_PINS_ENV "=") < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	cJSON_ArrayForEach(m, mounts) {
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(m, "Type");
		const cJSON *src = cJSON_GetObjectItemCaseSensitive(m, "Source");
		const cJSON *tgt = cJSON_GetObjectItemCaseSensitive(m, "Target");
		struct stat st;

		if (!cJSON_IsString(type) || strcmp(type->valuestring, "bind") != 0)
			continue;
		if (!cJSON_IsString(src) || !cJSON_IsString(tgt) || tgt->valuestring[0] != '/' ||
		    strchr(tgt->valuestring, '\n') || ++n > MOUNT_PINS_MAX) {
			return cs_fail(err, EINVAL, "bind mount %s cannot be pinned",
				       cJSON_IsString(tgt) ? tgt->valuestring : "?");
		}
		if (pin_one(src->valuestring, trusted_dir, &st) < 0) {
			int e = errno;

			cs_fail(err, 0, "refusing to mount %s: %s", src->valuestring, safe_strerror(e));
			return cs_hint(err, "links in the project are never followed; replace the link "
				       "with the real directory or file");
		}
		if (buf_printf(&b, "%llu %llu %s\n", (unsigned long long)st.st_dev,
			       (unsigned long long)st.st_ino, tgt->valuestring) < 0)
			return cs_fail(err, ENOMEM, "out of memory");
	}
	cJSON_AddItemToArray(env, cJSON_CreateString(b.data));
	return 0;
}
