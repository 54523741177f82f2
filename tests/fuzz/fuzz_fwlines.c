/* libFuzzer: the runner's reader of the firewall's stdout protocol (READY /
 * ERROR / EVENT / SUMMARY lines, runner/docker/pod.c) on untrusted bytes: the owner
 * runs in the sandbox's namespace, so its output is treated as hostile.  The
 * input is split at newlines as the stream reader does; the records it keeps
 * are then formatted the way the run's end prints them. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "runner/docker/pod.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pod pod;
	struct buf out;
	size_t start = 0;

	memset(&pod, 0, sizeof pod);
	pod.records = cJSON_CreateArray();
	if (!pod.records)
		return 0;
	for (size_t i = 0; i <= size; i++)
		if (i == size || data[i] == '\n') {
			pod_handle_line(&pod, (const char *)data + start, i - start);
			start = i + 1;
		}
	/* what the runner does with them afterwards */
	buf_init(&out, 1u << 20);
	pod_summary_text(pod.records, &out);
	buf_free(&out);
	cJSON_Delete(pod.records);
	return 0;
}
