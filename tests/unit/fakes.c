/* Test doubles for the backend interfaces (filled by the engine tests). */
