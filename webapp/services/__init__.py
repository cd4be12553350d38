"""Use cases, one public function each, actor first (DESIGN.md "services")."""
