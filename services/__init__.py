"""The rules of the service, free of aiogram."""
