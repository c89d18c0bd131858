"""cook: recipe + target interpreter -> install plan -> installer backend (chef.cook.process)."""
