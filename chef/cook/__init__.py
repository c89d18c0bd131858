"""cook: recipe + target interpreter -> install plan -> installer backend -> subprocess."""
