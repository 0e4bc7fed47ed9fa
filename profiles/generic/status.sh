#!/usr/bin/env bash
# Status of one job for snakemake's cluster-generic executor: prints running, success or failed.
# Uses squeue while the job is queued or running, then scontrol / sacct for its final state.
set -u
id="$1"
state=$(squeue --noheader --jobs "$id" --format=%T 2>/dev/null | head -n 1)
if [ -z "$state" ]; then
  state=$(scontrol show job "$id" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -n 1)
fi
if [ -z "$state" ] && command -v sacct >/dev/null; then
  state=$(sacct --noheader --jobs "$id" --format=State --parsable2 2>/dev/null | head -n 1)
fi
case "$state" in
  COMPLETED) echo success ;;
  PENDING|RUNNING|CONFIGURING|COMPLETING|SUSPENDED|REQUEUED|RESIZING) echo running ;;
  "") echo success ;;  # gone from every view: finished long ago; outputs are checked anyway
  *) echo failed ;;
esac
