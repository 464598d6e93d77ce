"""The task list's speed-ups, one layer in front of DRF's own list().

- lists: what TaskViewSet.list() calls first, when settings.API_OPTIMIZATIONS
  is on; with it off, list() is DRF's ListModelMixin.list.
- page_cache: each user's default first page, in Redis.
- compiled: list SQL compiled once per combination of closed-set filters.
- rows: list rows formatted from `.values()`, without serializer instances.
- task_lists: GET /lists/ from compiled SQL and `.values()` rows.

docs/performance.md has what each gains, measured by `make bench`.
"""
